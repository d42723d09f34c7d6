// Artifacts and task logs: Sluice's extensions beside KFP's ReadArtifact.

import { API, request } from "./client";

export interface ArtifactInfo {
  artifact_id: string;
  name?: string;
  display_name?: string;
  uri?: string;
  schema_title?: string;
  metadata?: Record<string, unknown>;
  created_at?: string;
}

export const getArtifact = (artifactId: string) =>
  request<ArtifactInfo>(`${API}/artifacts/${encodeURIComponent(artifactId)}`);

/** Where the artifact's bytes are served (as a download, or inline for previews). */
export function artifactContentUrl(artifactId: string, download = false): string {
  return `${API}/artifacts/${encodeURIComponent(artifactId)}:content${download ? "?download=true" : ""}`;
}

/** Up to `limit` bytes of the artifact, as text; `truncated` when there was more. */
export async function readArtifactText(artifactId: string, limit: number): Promise<{ text: string; truncated: boolean }> {
  const response = await fetch(artifactContentUrl(artifactId), { headers: { Range: `bytes=0-${limit}` } });
  if (!response.ok && response.status !== 206) throw new Error(`${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const truncated = bytes.length > limit;
  return { text: new TextDecoder().decode(bytes.subarray(0, limit)), truncated };
}

/** The part of a task's log from byte `offset` on, and where the next read should start. */
export async function readLog(runId: string, taskId: string, offset: number): Promise<{ text: string; next: number }> {
  const response = await fetch(
    `${API}/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}/logs?offset=${offset}`,
  );
  if (response.status === 404) return { text: "", next: offset };
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  const text = await response.text();
  return { text, next: offset + new TextEncoder().encode(text).length };
}
