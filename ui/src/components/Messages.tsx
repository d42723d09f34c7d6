import type { ComponentChildren } from "preact";

export function ErrorBox({
  message,
  onRetry,
  title = "Something went wrong.",
}: {
  message: string;
  onRetry?: () => void;
  title?: string;
}) {
  return (
    <div class="error-box" role="alert">
      <strong>{title}</strong> {message}
      {onRetry ? (
        <button type="button" class="link-button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <div class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

/** What a list shows instead of its rows: its error, that it is loading, or that it is empty. */
export function ListStatus({
  list,
  what,
  empty,
}: {
  list: { data?: { items: unknown[] }; error?: string; reload: () => void };
  what: string;
  empty: ComponentChildren;
}) {
  if (list.error) return <ErrorBox message={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading what={`Loading ${what}`} />;
  return list.data.items.length === 0 ? <Empty>{empty}</Empty> : null;
}
