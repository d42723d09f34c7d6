export function SearchBox({ value, onInput, label }: { value: string; onInput: (value: string) => void; label: string }) {
  return (
    <input
      type="search"
      class="search"
      placeholder={label}
      aria-label={label}
      value={value}
      onInput={(event) => onInput(event.currentTarget.value)}
    />
  );
}
