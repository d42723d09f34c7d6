// Multi-user sign-in (sluice up --multi-user): the user's API token and chosen namespace, kept in this
// browser; every API call carries the token, and lists are scoped to the chosen namespace, as in KFP's UI.

import type { components } from "./generated";

const TOKEN_KEY = "sluice.token";
const NAMESPACE_KEY = "sluice.namespace";
const COOKIE = "sluice_token";

/** Who the request signs in as (`GET /apis/sluice/v1/me`): namespaces map to roles (owner, edit, view). */
export type Identity = components["schemas"]["Identity"];

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

export function savedToken(): string | null {
  return storage()?.getItem(TOKEN_KEY) ?? null;
}

export function signIn(token: string): void {
  storage()?.setItem(TOKEN_KEY, token);
  // Plain links (artifact downloads, logs) cannot send a header: the server reads this cookie on GETs only.
  document.cookie = `${COOKIE}=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
}

export function signOut(): void {
  storage()?.removeItem(TOKEN_KEY);
  document.cookie = `${COOKIE}=; path=/; max-age=0; SameSite=Strict`;
}

export function selectedNamespace(): string | null {
  return storage()?.getItem(NAMESPACE_KEY) ?? null;
}

export function selectNamespace(namespace: string | null): void {
  if (namespace) storage()?.setItem(NAMESPACE_KEY, namespace);
  else storage()?.removeItem(NAMESPACE_KEY);
}

/** The namespace the UI shows: the chosen one while the user is still a member, else their first. */
export function currentNamespace(identity: Identity): string | null {
  const names = Object.keys(identity.namespaces).sort();
  const chosen = selectedNamespace();
  if (chosen && (identity.admin || names.includes(chosen))) return chosen;
  return names[0] ?? null;
}

// Lists that take KFP's `namespace` parameter, and the creations that name one in their body.
const NAMESPACED_LISTS = /^\/apis\/(v2beta1\/(runs|experiments|recurringruns)|sluice\/v1\/(queue|deployments))$/;

/** The request with the session's token, and lists scoped to `namespace` unless they name one already. */
export function withSession(
  path: string,
  init: RequestInit | undefined,
  token: string | null,
  namespace: string | null,
): [string, RequestInit | undefined] {
  let url = path;
  const method = (init?.method ?? "GET").toUpperCase();
  if (namespace && method === "GET") {
    const [base, search = ""] = path.split("?", 2) as [string, string?];
    const query = new URLSearchParams(search);
    if (NAMESPACED_LISTS.test(base) && !query.has("namespace") && !query.has("experiment_id")) {
      query.set("namespace", namespace);
      url = `${base}?${query.toString()}`;
    }
  }
  if (!token) return [url, init];
  const headers = new Headers(init?.headers);
  headers.set("Authorization", `Bearer ${token}`);
  return [url, { ...init, headers }];
}

/** Who the server says the browser is: "sign-in" when it needs a token, "single-user" without accounts. */
export async function whoAmI(): Promise<Identity | "sign-in" | "single-user"> {
  const health = await fetch("/apis/v2beta1/healthz").then((response) => response.json() as Promise<{ multi_user?: boolean }>);
  if (!health.multi_user) return "single-user";
  const token = savedToken();
  const response = await fetch("/apis/sluice/v1/me", token ? { headers: { Authorization: `Bearer ${token}` } } : undefined);
  if (response.status === 401) return "sign-in";
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return (await response.json()) as Identity;
}

/** Told when the server answers 401 (a revoked or expired token): the UI shows the sign-in page. */
export const SIGNED_OUT_EVENT = "sluice:signed-out";
