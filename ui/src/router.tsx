// A tiny history router: the server answers every UI path with index.html, so real URLs work on reload.

import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

const listeners = new Set<() => void>();

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  for (const listener of listeners) listener();
  if (!options.replace) window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

function currentLocation(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export function useLocation(): Location {
  const [location, setLocation] = useState(currentLocation);
  useEffect(() => {
    const update = () => setLocation(currentLocation());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return location;
}

/** The path's parameters if it matches `pattern` ("/runs/:id"), else undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const patternParts = pattern.split("/").filter(Boolean);
  const pathParts = path.split("/").filter(Boolean);
  if (patternParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = decodeURIComponent(pathParts[index]!);
    if (part.startsWith(":")) params[part.slice(1)] = actual;
    else if (part !== actual) return undefined;
  }
  return params;
}

type LinkProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren };

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}

/** A URL with the given query parameters (empty values dropped). */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

// kfp.Client prints links in KFP's UI form ("/#/runs/details/<id>"); map them to Sluice's pages.
const KFP_HASH_ROUTES: [prefix: string, page: string][] = [
  ["/runs/details/", "/runs/"],
  ["/pipelines/details/", "/pipelines/"],
  ["/experiments/details/", "/experiments/"],
  ["/recurringrun/details/", "/recurring/"],
];

/** Sluice's path for a KFP UI hash link such as "#/runs/details/<id>", or undefined if it is none. */
export function pathForKfpLink(hash: string): string | undefined {
  const route = hash.replace(/^#/, "");
  for (const [prefix, page] of KFP_HASH_ROUTES) {
    if (route.startsWith(prefix)) {
      const id = route.slice(prefix.length).split(/[/?]/)[0];
      if (id) return page + id;
    }
  }
  return undefined;
}
