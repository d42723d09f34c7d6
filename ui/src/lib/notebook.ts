// A Jupyter notebook (an executed notebook artifact) as a self-contained HTML page, for a sandboxed iframe:
// every source and text output escaped, images only as data: URIs, and a Content-Security-Policy that loads
// nothing from elsewhere and runs no script (HTML outputs included).

import { marked } from "marked";

type Cell = {
  cell_type?: string;
  source?: string | string[];
  outputs?: Output[];
  execution_count?: number | null;
  metadata?: { tags?: string[] };
};
type Output = {
  output_type?: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
};

const CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
const STYLE =
  "body{font:14px/1.5 system-ui,sans-serif;margin:12px;color:#1f2937}" +
  ".cell{margin:0 0 12px}.prompt{color:#6b7280;font:12px monospace}" +
  "pre{background:#f3f4f6;padding:6px 8px;margin:2px 0;white-space:pre-wrap;overflow-x:auto}" +
  "pre.output{background:#fff;border-left:3px solid #d1d5db}pre.error{background:#fef2f2;border-left:3px solid #dc2626}" +
  ".tag{font:11px monospace;background:#e0e7ff;padding:0 4px;margin-left:6px}img{max-width:100%}";

const joined = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join("") : (value ?? ""));
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The parsed notebook, or undefined when `text` is not one (not JSON, or no nbformat and cells). */
export function parseNotebook(text: string): { cells: Cell[] } | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const document = JSON.parse(text) as { nbformat?: unknown; cells?: unknown };
    if (typeof document.nbformat !== "number" || !Array.isArray(document.cells)) return undefined;
    return { cells: document.cells as Cell[] };
  } catch {
    return undefined;
  }
}

function outputHtml(output: Output): string {
  if (output.output_type === "stream") return `<pre class="output">${escapeHtml(joined(output.text))}</pre>`;
  if (output.output_type === "error") {
    const trace = (output.traceback ?? []).join("\n").replace(ANSI, "");
    return `<pre class="error">${escapeHtml(trace || `${output.ename ?? "Error"}: ${output.evalue ?? ""}`)}</pre>`;
  }
  const data = output.data ?? {};
  const png = joined(data["image/png"]).replace(/\s/g, "");
  if (png && /^[A-Za-z0-9+/=]+$/.test(png)) return `<img alt="output" src="data:image/png;base64,${png}">`;
  if (data["text/html"]) return `<div class="output">${joined(data["text/html"])}</div>`;
  if (data["text/plain"]) return `<pre class="output">${escapeHtml(joined(data["text/plain"]))}</pre>`;
  return "";
}

/** The notebook as an HTML document (for `<iframe sandbox="" srcdoc=...>`). */
export function notebookHtml(notebook: { cells: Cell[] }): string {
  const parts = notebook.cells.map((cell) => {
    const source = joined(cell.source);
    if (cell.cell_type === "markdown") return `<div class="cell">${marked.parse(escapeHtml(source), { async: false })}</div>`;
    if (cell.cell_type !== "code") return `<div class="cell"><pre>${escapeHtml(source)}</pre></div>`;
    const count = cell.execution_count ?? " ";
    const tags = (cell.metadata?.tags ?? []).map((tag) => `<span class="tag">${escapeHtml(tag)}</span>`).join("");
    const outputs = (cell.outputs ?? []).map(outputHtml).join("");
    return `<div class="cell"><div class="prompt">In [${escapeHtml(String(count))}]:${tags}</div><pre>${escapeHtml(source)}</pre>${outputs}</div>`;
  });
  return `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${CSP}"><style>${STYLE}</style></head><body>${parts.join("")}</body></html>`;
}
