import { useState } from "preact/hooks";
import { type ArtifactInfo, getArtifact } from "../api/artifacts";
import { getRun } from "../api/client";
import type { Run } from "../api/types";
import { DocumentPreview } from "../components/ArtifactView";
import { ConfusionMatrixView, RocChart, type RocSeries } from "../components/Charts";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { StateBadge } from "../components/State";
import { useLoad } from "../hooks";
import { compareRows } from "../lib/compare";
import { formatDuration } from "../lib/format";
import { type ClassificationMetrics, classificationMetrics } from "../lib/metrics";
import { Link } from "../router";

interface ComparedRun {
  run: Run;
  name: string;
  classification: Array<{ label: string; metrics: ClassificationMetrics }>;
  /** HTML and Markdown outputs, by "task.output". */
  documents: Map<string, ArtifactInfo>;
}

const DOCUMENT_TYPES = new Set(["system.HTML", "system.Markdown"]);

async function loadRun(runId: string): Promise<ComparedRun> {
  const run = await getRun(runId);
  const outputs = (run.run_details?.task_details ?? []).flatMap((task) =>
    Object.entries(task.outputs ?? {}).flatMap(([output, list]) =>
      (list.artifact_ids ?? []).map((artifactId) => ({ label: `${task.display_name ?? task.name}.${output}`, artifactId })),
    ),
  );
  const artifacts = await Promise.all(
    outputs.map(async (output) => ({ ...output, info: await getArtifact(output.artifactId).catch(() => undefined) })),
  );
  const classification = artifacts
    .filter((item): item is typeof item & { info: ArtifactInfo } =>
      Boolean(item.info?.artifact_type?.startsWith("system.ClassificationMetrics")),
    )
    .map((item) => ({ label: item.label, metrics: classificationMetrics(item.info.metadata) }));
  const documents = new Map(
    artifacts
      .filter((item): item is typeof item & { info: ArtifactInfo } => DOCUMENT_TYPES.has(item.info?.artifact_type ?? ""))
      .map((item) => [item.label, item.info] as const),
  );
  return { run, name: run.display_name || run.run_id, classification, documents };
}

export function ComparePage({ runIds }: { runIds: string[] }) {
  const [onlyDifferences, setOnlyDifferences] = useState(false);
  const loaded = useLoad(() => Promise.all(runIds.map(loadRun)), runIds.join(","));
  if (runIds.length < 2) {
    return (
      <section>
        <PageHeader title="Compare runs" crumbs={[{ href: "/runs", label: "Runs" }]} />
        <Empty>
          Select two or more runs on the <Link href="/runs">Runs</Link> page, then press Compare.
        </Empty>
      </section>
    );
  }
  if (loaded.error) return <ErrorBox message={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <Loading what="Loading the runs" />;
  const runs = loaded.data;
  const parameters = compareRows(runs.map((item) => item.run.runtime_config?.parameters ?? {}));
  const metrics = compareRows(runs.map((item) => item.run.metrics ?? {}));
  const shownParameters = onlyDifferences ? parameters.filter((row) => row.differs) : parameters;
  const rocSeries: RocSeries[] = runs.flatMap((item) =>
    item.classification
      .filter((entry) => entry.metrics.roc.length)
      .map((entry) => ({ label: `${item.name} · ${entry.label}`, points: entry.metrics.roc })),
  );
  const matrices = runs.flatMap((item) =>
    item.classification.flatMap((entry) =>
      entry.metrics.confusionMatrix ? [{ label: `${item.name} · ${entry.label}`, matrix: entry.metrics.confusionMatrix }] : [],
    ),
  );
  const header = (
    <thead>
      <tr>
        <th />
        {runs.map((item) => (
          <th key={item.run.run_id} scope="col">
            <Link href={`/runs/${item.run.run_id}`}>{item.name}</Link>
          </th>
        ))}
      </tr>
    </thead>
  );
  return (
    <section class="compare">
      <PageHeader title="Compare runs" crumbs={[{ href: "/runs", label: "Runs" }]} />
      <div class="table-scroll">
        <table class="table compare-table">
          {header}
          <tbody>
            <tr>
              <th scope="row">State</th>
              {runs.map((item) => (
                <td key={item.run.run_id}>
                  <StateBadge state={item.run.state} />
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Duration</th>
              {runs.map((item) => (
                <td key={item.run.run_id}>{formatDuration(item.run.created_at, item.run.finished_at)}</td>
              ))}
            </tr>
          </tbody>
        </table>
      </div>
      <div class="section-header">
        <h2>Parameters</h2>
        <label class="checkbox">
          <input type="checkbox" checked={onlyDifferences} onChange={(event) => setOnlyDifferences(event.currentTarget.checked)} /> Only
          differences
        </label>
      </div>
      <CompareTable header={header} rows={shownParameters} empty="No parameters." />
      <h2>Metrics</h2>
      <CompareTable header={header} rows={metrics} empty="None of these runs logged scalar metrics." numeric />
      <h2>HTML and Markdown</h2>
      <DocumentsTable header={header} runs={runs} />
      <h2>ROC curves</h2>
      {rocSeries.length ? <RocChart series={rocSeries} size={380} /> : <p class="muted">No ROC curves were logged.</p>}
      <h2>Confusion matrices</h2>
      {matrices.length ? (
        <div class="charts">
          {matrices.map((item) => (
            <ConfusionMatrixView key={item.label} matrix={item.matrix} caption={item.label} />
          ))}
        </div>
      ) : (
        <p class="muted">No confusion matrices were logged.</p>
      )}
    </section>
  );
}

/** One row per HTML/Markdown output any of the runs produced, each run's document side by side. */
function DocumentsTable({ header, runs }: { header: preact.JSX.Element; runs: ComparedRun[] }) {
  const labels = [...new Set(runs.flatMap((item) => [...item.documents.keys()]))].sort();
  if (!labels.length) return <p class="muted">None of these runs produced HTML or Markdown artifacts.</p>;
  return (
    <div class="table-scroll">
      <table class="table compare-table documents">
        {header}
        <tbody>
          {labels.map((label) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {runs.map((item) => {
                const info = item.documents.get(label);
                return <td key={item.run.run_id}>{info ? <DocumentPreview info={info} /> : <span class="muted">–</span>}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CompareTable({
  header,
  rows,
  empty,
  numeric = false,
}: {
  header: preact.JSX.Element;
  rows: ReturnType<typeof compareRows>;
  empty: string;
  numeric?: boolean;
}) {
  if (!rows.length) return <p class="muted">{empty}</p>;
  return (
    <div class="table-scroll">
      <table class="table compare-table">
        {header}
        <tbody>
          {rows.map((row) => (
            <tr key={row.name} class={row.differs ? "differs" : ""}>
              <th scope="row">
                {row.name}
                {row.differs ? <span class="visually-hidden"> (differs)</span> : null}
              </th>
              {row.cells.map((cell, index) => (
                <td key={index} class={numeric ? "numeric mono" : "mono wrap"}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
