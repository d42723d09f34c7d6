import { useMemo, useState } from "preact/hooks";
import { deleteRun, getRun, getVersion, type RunAction, runAction } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import type { Run } from "../api/types";
import { Dag, type RunOverlay } from "../components/Dag";
import { DeployedAs } from "../components/Deployments";
import { KeyValueTable, StateHistory } from "../components/KeyValues";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { ACTIVE_STATES, StateBadge, stateLabel } from "../components/State";
import { Tabs } from "../components/Tabs";
import { TaskPanel, type Tab as TaskTab } from "../components/TaskPanel";
import { Yaml } from "../components/Yaml";
import { errorText, useLoad } from "../hooks";
import { formatDate, formatDuration } from "../lib/format";
import { allNodes, buildSpecGraph, type SpecNode } from "../lib/graph";
import { countStates, indexRunTasks, runPathOf, shownIteration } from "../lib/runTasks";
import { type PipelineSpec, pipelineSpecOf } from "../lib/spec";
import { useNames } from "../names";
import { Link, navigate, withQuery } from "../router";

const POLL_MS = 1500;
type Tab = "graph" | "details" | "yaml";

export function RunDetailsPage({ runId, query }: { runId: string; query: URLSearchParams }) {
  const run = useLoad(() => getRun(runId), runId, { pollMs: POLL_MS, poll: (data) => ACTIVE_STATES.has(data.state) });
  const spec = useRunSpec(run.data);
  const experiments = useNames("experiment", [run.data?.experiment_id]);
  const tab = (query.get("tab") as Tab | null) ?? "graph";
  const setTab = (name: Tab) => navigate(withQuery(`/runs/${runId}`, { tab: name === "graph" ? undefined : name }), { replace: true });

  if (run.error && !run.data) return <ErrorBox message={run.error} onRetry={run.reload} />;
  if (!run.data) return <Loading what="Loading the run" />;
  const data = run.data;
  return (
    <section class="run-page">
      <PageHeader
        title={data.display_name || runId}
        crumbs={[
          { href: "/runs", label: "Runs" },
          ...(data.experiment_id
            ? [{ href: `/experiments/${data.experiment_id}`, label: experiments[data.experiment_id] ?? "Experiment" }]
            : []),
        ]}
      >
        <RunActions run={data} onDone={run.reload} />
      </PageHeader>
      <RunSummary run={data} />
      {(data.warnings ?? []).map((warning) => (
        <div key={warning} class="warning-box" role="status">
          <strong>Warning:</strong> {warning}
        </div>
      ))}
      {run.error ? <ErrorBox message={`Lost touch with the server: ${run.error}`} /> : null}
      <Tabs
        label="Run views"
        current={tab}
        onChange={setTab}
        tabs={[
          { name: "graph", label: "Graph" },
          { name: "details", label: "Details" },
          { name: "yaml", label: "Pipeline YAML" },
        ]}
      />
      {spec.error ? <ErrorBox message={`Cannot load the pipeline spec: ${spec.error}`} onRetry={spec.reload} /> : null}
      {tab === "graph" && spec.data ? <RunGraph run={data} spec={spec.data} initialTask={query.get("task")} initialTaskTab={query.get("task_tab")} /> : null}
      {tab === "graph" && spec.data === undefined && !spec.error ? <Loading what="Loading the pipeline" /> : null}
      {tab === "graph" && spec.data === null ? <Empty>This run has no pipeline spec to draw.</Empty> : null}
      {tab === "details" ? <RunInfo run={data} /> : null}
      {tab === "yaml" && spec.data ? <Yaml value={spec.data} /> : null}
    </section>
  );
}

/** The run's pipeline spec: inline in the run, or (KFP leaves it out then) its pipeline version's. */
function useRunSpec(run: Run | undefined) {
  const reference = run?.pipeline_version_reference;
  const inline = pipelineSpecOf(run?.pipeline_spec);
  return useLoad(
    async (): Promise<PipelineSpec | null> => {
      if (inline || !reference?.pipeline_id || !reference.pipeline_version_id) return inline ?? null;
      return pipelineSpecOf((await getVersion(reference.pipeline_id, reference.pipeline_version_id)).pipeline_spec) ?? null;
    },
    // The spec of a run never changes: load it once, not on every poll.
    run ? run.run_id : "",
  );
}

function RunActions({ run, onDone }: { run: Run; onDone: () => void }) {
  const [busy, setBusy] = useState<RunAction>();
  const [error, setError] = useState<string>();
  const [deleting, setDeleting] = useState(false);
  const act = async (action: RunAction) => {
    if (action === "terminate" && !window.confirm("Terminate this run? Its running tasks are stopped.")) return;
    setBusy(action);
    setError(undefined);
    try {
      await runAction(run.run_id, action);
      onDone();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(undefined);
    }
  };
  const active = ACTIVE_STATES.has(run.state);
  const archived = run.storage_state === "ARCHIVED";
  return (
    <>
      {error ? (
        <span class="inline-error" role="alert">
          {error}
        </span>
      ) : null}
      {active ? (
        <button type="button" class="danger" disabled={Boolean(busy) || run.state === "CANCELING"} onClick={() => act("terminate")}>
          Terminate
        </button>
      ) : null}
      {run.state === "FAILED" || run.state === "CANCELED" ? (
        <button type="button" disabled={Boolean(busy)} onClick={() => act("retry")}>
          Retry
        </button>
      ) : null}
      <button type="button" onClick={() => navigate(`/runs/new?clone=${run.run_id}`)}>
        Clone
      </button>
      <button type="button" disabled={Boolean(busy) || active} onClick={() => act(archived ? "unarchive" : "archive")}>
        {archived ? "Restore" : "Archive"}
      </button>
      <button type="button" class="danger" disabled={Boolean(busy)} onClick={() => setDeleting(true)}>
        Delete
      </button>
      {deleting ? (
        <ConfirmDialog
          title={`Delete run ${run.display_name || run.run_id}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteRun(run.run_id);
            navigate(run.experiment_id ? `/experiments/${run.experiment_id}` : "/runs");
          }}
        >
          <p>
            The run, its tasks and its history are deleted. {active ? "It is still running: terminate it first." : ""}
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function RunSummary({ run }: { run: Run }) {
  const pipelineId = run.pipeline_version_reference?.pipeline_id;
  const pipelines = useNames("pipeline", [pipelineId]);
  const experiments = useNames("experiment", [run.experiment_id]);
  const spec = pipelineSpecOf(run.pipeline_spec);
  return (
    <div class="summary">
      <StateBadge state={run.state} />
      <span>
        <span class="muted">Pipeline</span>{" "}
        {pipelineId ? (
          <Link href={withQuery(`/pipelines/${pipelineId}`, { version: run.pipeline_version_reference?.pipeline_version_id })}>
            {pipelines[pipelineId] ?? "…"}
          </Link>
        ) : (
          spec?.pipelineInfo?.name ?? "inline spec"
        )}
      </span>
      {run.experiment_id ? (
        <span>
          <span class="muted">Experiment</span>{" "}
          <Link href={`/experiments/${run.experiment_id}`}>{experiments[run.experiment_id] ?? "…"}</Link>
        </span>
      ) : null}
      <span>
        <span class="muted">Started</span> {formatDate(run.created_at)}
      </span>
      <span>
        <span class="muted">Duration</span> {formatDuration(run.created_at, run.finished_at)}
      </span>
      <DeployedAs runId={run.run_id} />
    </div>
  );
}

function RunGraph({
  run,
  spec,
  initialTask,
  initialTaskTab,
}: {
  run: Run;
  spec: PipelineSpec;
  initialTask?: string | null;
  initialTaskTab?: string | null;
}) {
  const [showArtifacts, setShowArtifacts] = useState(false);
  const graph = useMemo(() => buildSpecGraph(spec, { artifacts: showArtifacts }), [spec, showArtifacts]);
  const loopKeys = useMemo(
    () => new Set([...allNodes(graph)].filter((node) => node.kind === "loop").map((node) => node.key)),
    [graph],
  );
  const details = run.run_details?.task_details ?? [];
  const index = useMemo(() => indexRunTasks(details), [details]);
  const [selection, setSelection] = useState<ReadonlyMap<string, number>>(new Map());
  // ?task=NAME (a link from a deployment's revision) opens that task's panel (&task_tab=io: its artifacts).
  const [selectedNode, setSelectedNode] = useState<SpecNode | undefined>(() =>
    initialTask ? [...allNodes(graph)].find((node) => node.taskName === initialTask || node.key === initialTask) : undefined,
  );
  const overlay: RunOverlay = useMemo(() => {
    const pathOf = (node: SpecNode) => runPathOf(node.key, loopKeys, selection, index);
    return {
      taskFor: (node) => index.byPath.get(pathOf(node)),
      iterationsFor: (node) => index.iterations.get(pathOf(node)) ?? [],
      selectedIteration: (node) => shownIteration(node.key, pathOf(node), selection, index),
      selectIteration: (node, iteration) => setSelection((current) => new Map(current).set(node.key, iteration)),
    };
  }, [index, loopKeys, selection]);

  const counts = countStates([...index.byId.values()].filter((task) => task.kind === "container" || task.kind === "importer"));
  return (
    <>
      <label class="checkbox graph-option">
        <input type="checkbox" checked={showArtifacts} onChange={(event) => setShowArtifacts(event.currentTarget.checked)} /> Show
        artifacts as nodes
      </label>
      <p class="task-counts" aria-label="Task states">
        {Object.entries(counts).map(([state, count]) => (
          <span key={state} class="count">
            <StateBadge state={state as keyof typeof counts} /> {count}
          </span>
        ))}
      </p>
      <div class="split">
        <Dag graph={graph} run={overlay} selectedKey={selectedNode?.key} onSelect={setSelectedNode} />
        {selectedNode ? (
          <TaskPanel
            key={selectedNode.key}
            runId={run.run_id}
            spec={spec}
            node={selectedNode}
            task={overlay.taskFor(selectedNode)}
            onClose={() => setSelectedNode(undefined)}
            initialTab={selectedNode.taskName === initialTask && initialTaskTab === "io" ? ("io" as TaskTab) : undefined}
          />
        ) : (
          <aside class="side-panel muted">
            <p>Select a task to see its inputs, outputs, artifacts, command and log.</p>
            {run.error?.message ? (
              <div class="error-box" role="alert">
                <strong>{stateLabel(run.state)}:</strong> {run.error.message}
              </div>
            ) : null}
          </aside>
        )}
      </div>
    </>
  );
}

function RunInfo({ run }: { run: Run }) {
  const parameters = Object.entries(run.runtime_config?.parameters ?? {});
  return (
    <div class="info-grid">
      <dl class="facts">
        <dt>Run id</dt>
        <dd class="mono">{run.run_id}</dd>
        <dt>State</dt>
        <dd>{stateLabel(run.state)}</dd>
        <dt>Created</dt>
        <dd>{formatDate(run.created_at)}</dd>
        {run.created_by ? (
          <>
            <dt>Created by</dt>
            <dd class="created-by">{run.created_by}</dd>
          </>
        ) : null}
        <dt>Finished</dt>
        <dd>{formatDate(run.finished_at)}</dd>
        <dt>Pipeline root</dt>
        <dd class="mono">{run.runtime_config?.pipeline_root ?? "–"}</dd>
        {run.recurring_run_id ? (
          <>
            <dt>Recurring run</dt>
            <dd>
              <Link href={`/recurring/${run.recurring_run_id}`}>{run.recurring_run_id}</Link>
            </dd>
          </>
        ) : null}
        {run.description ? (
          <>
            <dt>Description</dt>
            <dd>{run.description}</dd>
          </>
        ) : null}
      </dl>
      <div>
        <h3>Parameters</h3>
        {parameters.length ? (
          <KeyValueTable values={run.runtime_config?.parameters ?? {}} />
        ) : (
          <p class="muted">No parameters.</p>
        )}
        {run.metrics && Object.keys(run.metrics).length ? (
          <>
            <h3>Metrics</h3>
            <KeyValueTable values={run.metrics} numeric />
          </>
        ) : null}
        <StateHistory history={run.state_history} />
      </div>
    </div>
  );
}
