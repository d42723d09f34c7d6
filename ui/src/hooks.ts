// Loading data: one request with its state, a polled request, and server-side paged lists.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ListQuery, Predicate } from "./api/client";
import type { Page } from "./api/types";

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload(): void;
}

/**
 * Calls `load` when `key` changes (and on `reload`), and every `pollMs` while `poll(data)` holds.
 * A response that arrives after a newer request started is dropped.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  key: string,
  options: { pollMs?: number; poll?: (data: T) => boolean } = {},
): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean; forKey: string }>({
    loading: true,
    forKey: key,
  });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setGeneration((value) => value + 1), []);

  useEffect(() => {
    const ticket = ++latest.current;
    // A reload keeps showing what it replaces; a new key starts empty.
    setState((previous) => (previous.forKey === key ? { ...previous, loading: true } : { loading: true, forKey: key }));
    loadRef.current().then(
      (data) => ticket === latest.current && setState({ data, loading: false, forKey: key }),
      (error: unknown) =>
        ticket === latest.current &&
        setState((previous) => ({ ...previous, error: errorText(error), loading: false, forKey: key })),
    );
  }, [key, generation]);

  const { pollMs, poll } = options;
  const shouldPoll = Boolean(pollMs && state.data !== undefined && !state.loading && poll?.(state.data));
  useEffect(() => {
    if (!shouldPoll) return undefined;
    const timer = setTimeout(reload, pollMs);
    return () => clearTimeout(timer);
  }, [shouldPoll, state, pollMs, reload]);

  // Data of an earlier key is not shown as this key's.
  const current = state.forKey === key;
  const result: Loaded<T> = { loading: state.loading || !current, reload };
  if (current && state.data !== undefined) result.data = state.data;
  if (current && state.error !== undefined) result.error = state.error;
  return result;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface PagedList<Item> extends Loaded<Page<Item>> {
  pageIndex: number;
  pageSize: number;
  sortBy: string;
  hasPrevious: boolean;
  hasNext: boolean;
  next(): void;
  previous(): void;
  setPageSize(size: number): void;
  setSortBy(sortBy: string): void;
}

/** A server-side paged, sorted and filtered list; changing the filter or sort goes back to page one. */
export function usePagedList<Item>(
  load: (query: ListQuery) => Promise<Page<Item>>,
  options: {
    key: string;
    predicates?: Predicate[];
    params?: Record<string, string>;
    defaultSort?: string;
    pollMs?: number;
    poll?: (page: Page<Item>) => boolean;
  },
): PagedList<Item> {
  const [pageSize, setPageSizeState] = useState(20);
  const [sortBy, setSortByState] = useState(options.defaultSort ?? "created_at desc");
  const criteria = JSON.stringify([options.key, options.predicates ?? [], options.params ?? {}, sortBy, pageSize]);
  // The tokens of the pages up to the current one (the first page has none), for the criteria they were got with.
  const [pages, setPages] = useState({ criteria, tokens: [""] });
  const tokens = pages.criteria === criteria ? pages.tokens : [""];
  const pageToken = tokens[tokens.length - 1]!;
  const query: ListQuery = { pageSize, sortBy };
  if (pageToken) query.pageToken = pageToken;
  if (options.predicates) query.predicates = options.predicates;
  if (options.params) query.params = options.params;
  const loadOptions: { pollMs?: number; poll?: (page: Page<Item>) => boolean } = {};
  if (options.pollMs) loadOptions.pollMs = options.pollMs;
  if (options.poll) loadOptions.poll = options.poll;
  const loaded = useLoad(() => load(query), `${criteria}|${pageToken}`, loadOptions);
  const nextToken = loaded.data?.nextPageToken ?? "";
  return {
    ...loaded,
    pageIndex: tokens.length - 1,
    pageSize,
    sortBy,
    hasPrevious: tokens.length > 1,
    hasNext: Boolean(nextToken),
    next: () => nextToken && setPages({ criteria, tokens: [...tokens, nextToken] }),
    previous: () => setPages({ criteria, tokens: tokens.length > 1 ? tokens.slice(0, -1) : tokens }),
    setPageSize: (size) => setPageSizeState(size),
    setSortBy: (value) => setSortByState(value),
  };
}

/** `value`, once it has stopped changing for `delayMs` (for search boxes). */
export function useDebounced<T>(value: T, delayMs = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return settled;
}
