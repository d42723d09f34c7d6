import { dump } from "js-yaml";
import { useMemo } from "preact/hooks";

export function Yaml({ value }: { value: unknown }) {
  const text = useMemo(() => dump(value, { lineWidth: 120, noRefs: true }), [value]);
  return (
    <pre class="code yaml" tabIndex={0} aria-label="Pipeline YAML">
      {text}
    </pre>
  );
}
