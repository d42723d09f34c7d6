import type { PagedList } from "../hooks";

const PAGE_SIZES = [10, 20, 50, 100];

export function Pager<Item>({ list }: { list: PagedList<Item> }) {
  const total = list.data?.totalSize ?? 0;
  const shown = list.data?.items.length ?? 0;
  const first = list.pageIndex * list.pageSize + (shown ? 1 : 0);
  return (
    <div class="pager">
      <label>
        Rows per page{" "}
        <select value={list.pageSize} onChange={(event) => list.setPageSize(Number(event.currentTarget.value))}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
      <span class="pager-range">
        {first}–{first + Math.max(shown - 1, 0)} of {total}
      </span>
      <button type="button" onClick={list.previous} disabled={!list.hasPrevious} aria-label="Previous page">
        ‹ Previous
      </button>
      <button type="button" onClick={list.next} disabled={!list.hasNext} aria-label="Next page">
        Next ›
      </button>
    </div>
  );
}
