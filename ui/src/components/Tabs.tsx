import type { ComponentChildren } from "preact";

/** Tabs as buttons; the caller keeps which one is open (often in the URL). */
export function Tabs<Name extends string>({
  tabs,
  current,
  onChange,
  label,
}: {
  tabs: Array<{ name: Name; label: ComponentChildren }>;
  current: Name;
  onChange: (name: Name) => void;
  label: string;
}) {
  return (
    <div class="tabs" role="tablist" aria-label={label}>
      {tabs.map((tab) => (
        <button
          key={tab.name}
          type="button"
          role="tab"
          aria-selected={tab.name === current}
          class={tab.name === current ? "tab active" : "tab"}
          onClick={() => onChange(tab.name)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
