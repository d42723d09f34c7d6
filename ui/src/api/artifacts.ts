// Artifacts by id and task logs: Sluice's extensions beside KFP's ReadArtifact.

import { API, ApiError, request } from "./client";
import type { components } from "./generated";

/** An artifact's metadata (generated from the server's model). */
export type ArtifactInfo = components["schemas"]["ArtifactMetadata"];

export const getArtifact = (artifactId: string) =>
  request<ArtifactInfo>(`${API}/artifacts/${encodeURIComponent(artifactId)}`);

export function artifactDownloadUrl(artifact: ArtifactInfo): string {
  return artifact.download_url ?? `${API}/artifacts/${encodeURIComponent(artifact.artifact_id)}:download`;
}

/**
 * The artifact's content as text, the first `limit` characters; `truncated` when there was more. Only the first
 * bytes travel (an HTTP range request), however big the artifact.
 */
export async function readArtifactText(artifact: ArtifactInfo, limit: number): Promise<{ text: string; truncated: boolean }> {
  // UTF-8 takes at most 4 bytes a character.
  const response = await fetch(artifactDownloadUrl(artifact), { headers: { Range: `bytes=0-${limit * 4 - 1}` } });
  if (response.status === 416) return { text: "", truncated: false }; // an empty file
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new ApiError(body.message ?? `${response.status} ${response.statusText}`, response.status);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const total = Number(response.headers.get("Content-Range")?.split("/")[1] ?? bytes.length);
  // A cut may split a character: decode leniently; the last one may show as a replacement mark.
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  return { text: text.slice(0, limit), truncated: text.length > limit || total > bytes.length };
}

/**
 * Streams a task's log into `onText`, chunk by chunk; with `follow` the server keeps the response open until
 * the task ends. Resolves when the log is complete; `signal` stops it early.
 */
export async function streamLog(
  runId: string,
  taskId: string,
  follow: boolean,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const url = `${API}/runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(taskId)}/log?follow=${follow}`;
  const response = await fetch(url, { signal });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new ApiError(body.message ?? `${response.status} ${response.statusText}`, response.status);
  }
  if (!response.body) return onText(await response.text());
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onText(decoder.decode(value, { stream: true }));
  }
  onText(decoder.decode());
}
