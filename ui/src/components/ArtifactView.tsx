// One artifact: what it is, a preview fitting its type, and a download link.

import { marked } from "marked";
import { useMemo, useState } from "preact/hooks";
import { type ArtifactInfo, artifactDownloadUrl, getArtifact, readArtifactText } from "../api/artifacts";
import { useLoad } from "../hooks";
import { parseCsv } from "../lib/csv";
import { formatBytes } from "../lib/format";
import { notebookHtml, parseNotebook } from "../lib/notebook";
import { classificationMetrics, scalarMetrics } from "../lib/metrics";
import { ConfusionMatrixView, RocChart } from "./Charts";
import { DeployedAs } from "./Deployments";
import { KeyValueTable } from "./KeyValues";
import { Empty, ErrorBox, Loading } from "./Messages";

const PREVIEW_CHARACTERS = 256 * 1024;
// Larger files are previewed only on request: the preview downloads the whole file.
const AUTO_PREVIEW_BYTES = 4 * 1024 * 1024;
const CSV_ROWS = 200;
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;

/** An artifact with its preview; `folded` shows only a summary line until the user opens it. */
export function ArtifactView({ artifactId, outputName, folded = false }: { artifactId: string; outputName: string; folded?: boolean }) {
  const [open, setOpen] = useState(!folded);
  if (!open) {
    return (
      <details class="artifact folded" onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
        <summary>
          <strong>{outputName}</strong> <span class="muted">(show)</span>
        </summary>
      </details>
    );
  }
  return <LoadedArtifact artifactId={artifactId} outputName={outputName} />;
}

function LoadedArtifact({ artifactId, outputName }: { artifactId: string; outputName: string }) {
  const artifact = useLoad(() => getArtifact(artifactId), artifactId);
  if (artifact.error) return <ErrorBox message={artifact.error} onRetry={artifact.reload} />;
  if (!artifact.data) return <Loading what="Loading the artifact" />;
  const info = artifact.data;
  const type = info.artifact_type ?? "system.Artifact";
  return (
    <article class="artifact" aria-label={`Artifact ${outputName}`}>
      <header class="artifact-header">
        <div>
          <strong>{outputName}</strong> <span class="type-tag">{type.replace(/^system\./, "")}</span>
          {info.uri ? (
            <div class="muted uri" title={info.uri}>
              {info.uri}
            </div>
          ) : null}
        </div>
        <a class="button" href={artifactDownloadUrl(info)} download={fileName(info)}>
          Download
        </a>
      </header>
      {type.replace(/@.*$/, "") === "system.Model" ? <DeployedAs artifactId={artifactId} /> : null}
      <ArtifactPreview info={info} />
    </article>
  );
}

function fileName(info: ArtifactInfo): string {
  return (info.uri ?? "").split("/").pop() || info.name || "artifact";
}

function ArtifactPreview({ info }: { info: ArtifactInfo }) {
  const type = (info.artifact_type ?? "").replace(/@.*$/, "");
  if (type === "system.Metrics") return <MetricsTable metadata={info.metadata} />;
  if (type === "system.ClassificationMetrics") return <ClassificationPreview metadata={info.metadata} />;
  if (info.uri && IMAGE_EXTENSIONS.test(info.uri)) {
    return <img class="artifact-image" src={artifactDownloadUrl(info)} alt={`Artifact ${info.name ?? ""}`} />;
  }
  if (info.artifact_size === undefined) {
    return <p class="muted">No file to preview here (a folder, or stored outside this server's artifact root).</p>;
  }
  return <ContentPreview info={info} type={type} />;
}

function MetricsTable({ metadata }: { metadata: Record<string, unknown> | undefined }) {
  const metrics = scalarMetrics(metadata);
  if (!Object.keys(metrics).length) return <Empty>No metrics were logged.</Empty>;
  return <KeyValueTable values={metrics} numeric label="Metrics" />;
}

function ClassificationPreview({ metadata }: { metadata: Record<string, unknown> | undefined }) {
  const metrics = classificationMetrics(metadata);
  if (!metrics.roc.length && !metrics.confusionMatrix) return <Empty>No ROC curve or confusion matrix was logged.</Empty>;
  return (
    <div class="charts">
      {metrics.confusionMatrix ? <ConfusionMatrixView matrix={metrics.confusionMatrix} caption="Confusion matrix" /> : null}
      {metrics.roc.length ? <RocChart series={[{ label: "ROC", points: metrics.roc }]} /> : null}
    </div>
  );
}

function ContentPreview({ info, type }: { info: ArtifactInfo; type: string }) {
  const size = Number(info.artifact_size);
  const [wanted, setWanted] = useState(size <= AUTO_PREVIEW_BYTES);
  if (!wanted) {
    return (
      <p class="muted">
        {formatBytes(size)}.{" "}
        <button type="button" class="link-button" onClick={() => setWanted(true)}>
          Preview it anyway
        </button>
      </p>
    );
  }
  return <LoadedPreview info={info} type={type} />;
}

/** An HTML or Markdown artifact drawn in a sandbox (for run comparison), from its first bytes. */
export function DocumentPreview({ info }: { info: ArtifactInfo }) {
  return <LoadedPreview info={info} type={info.artifact_type ?? ""} />;
}

function LoadedPreview({ info, type }: { info: ArtifactInfo; type: string }) {
  const content = useLoad(() => readArtifactText(info, PREVIEW_CHARACTERS), info.artifact_id);
  if (content.error) return <ErrorBox message={`Cannot preview this artifact: ${content.error}`} />;
  if (!content.data) return <Loading what="Loading a preview" />;
  const { text, truncated } = content.data;
  const note = truncated ? <p class="muted">Showing the beginning only; download it for the rest.</p> : null;
  if (type === "system.HTML") return <SandboxedDocument html={text} title="HTML artifact" />;
  if (type === "system.Markdown") return <MarkdownDocument markdown={text} />;
  const notebook = truncated ? undefined : parseNotebook(text);
  if (notebook) return <SandboxedDocument html={notebookHtml(notebook)} title="Executed notebook" />;
  if (/\.csv$/i.test(info.uri ?? "") || looksLikeCsv(text)) {
    return (
      <>
        <CsvTable text={text} />
        {note}
      </>
    );
  }
  if (text.includes("\u0000")) return <p class="muted">A binary file: download it to look inside.</p>;
  return (
    <>
      <pre class="code artifact-text" tabIndex={0}>
        {text || "(empty)"}
      </pre>
      {note}
    </>
  );
}

function looksLikeCsv(text: string): boolean {
  const lines = text.split("\n", 6).filter((line) => line.trim() !== "");
  if (lines.length < 2) return false;
  const columns = lines[0]!.split(",").length;
  return columns > 1 && lines.every((line) => line.split(",").length === columns);
}

function CsvTable({ text }: { text: string }) {
  const rows = useMemo(() => parseCsv(text, CSV_ROWS + 1), [text]);
  const [header = [], ...body] = rows;
  return (
    <div class="table-scroll csv-preview">
      <table class="table compact">
        <thead>
          <tr>
            {header.map((cell, index) => (
              <th key={index}>{cell}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.slice(0, CSV_ROWS).map((row, rowIndex) => (
            <tr key={rowIndex}>
              {row.map((cell, index) => (
                <td key={index}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {body.length > CSV_ROWS ? <p class="muted">First {CSV_ROWS} rows.</p> : null}
    </div>
  );
}

/** Untrusted HTML in an iframe with every sandbox restriction on: no scripts, forms or same-origin access. */
function SandboxedDocument({ html, title }: { html: string; title: string }) {
  return <iframe class="sandboxed" sandbox="" srcDoc={html} title={title} />;
}

function MarkdownDocument({ markdown }: { markdown: string }) {
  const html = useMemo(() => marked.parse(markdown, { async: false }), [markdown]);
  const styled = `<style>body{font:14px/1.5 system-ui,sans-serif;margin:12px;color:#1f2937}pre,code{background:#f3f4f6}table{border-collapse:collapse}td,th{border:1px solid #d1d5db;padding:2px 6px}</style>${html}`;
  return <SandboxedDocument html={styled} title="Markdown artifact" />;
}
