// How times, durations and values are shown.

export function formatDate(value: string | undefined): string {
  if (!value) return "–";
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getTime() <= 0) return "–";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** "1h 2m", "3m 4s", "5.2s"; `end` defaults to now, for what is still running. */
export function formatDuration(start: string | undefined, end: string | undefined, now = Date.now()): string {
  if (!start) return "–";
  const begin = Date.parse(start);
  const finish = end ? Date.parse(end) : now;
  if (Number.isNaN(begin) || Number.isNaN(finish) || begin <= 0) return "–";
  return formatMilliseconds(Math.max(0, finish - begin));
}

export function formatMilliseconds(milliseconds: number): string {
  const seconds = milliseconds / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${Math.round(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** A parameter or metric value as one line of text. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "";
  if (value === null) return "null";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let size = bytes / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(1)} ${units[unit]}`;
}
