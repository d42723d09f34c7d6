// A column header that sorts the list on the server: click once for descending, again for ascending.

export function SortHeader({
  label,
  sortKey,
  sortBy,
  onSort,
}: {
  label: string;
  sortKey: string;
  sortBy: string;
  onSort: (sortBy: string) => void;
}) {
  const [currentKey, direction] = sortBy.split(" ");
  const active = currentKey === sortKey;
  const descending = active && direction === "desc";
  const ariaSort = active ? (descending ? "descending" : "ascending") : "none";
  return (
    <th aria-sort={ariaSort}>
      <button type="button" class="sort-button" onClick={() => onSort(`${sortKey} ${descending ? "asc" : "desc"}`)}>
        {label}
        <span class="sort-arrow" aria-hidden="true">
          {active ? (descending ? " ▼" : " ▲") : " ↕"}
        </span>
      </button>
    </th>
  );
}
