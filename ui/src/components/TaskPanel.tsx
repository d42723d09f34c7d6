// The side panel for one task of a run: what it did, what went in and out, its command and its log.

import { useState } from "preact/hooks";
import type { TaskDetail } from "../api/types";
import { formatDate, formatDuration } from "../lib/format";
import type { SpecNode } from "../lib/graph";
import type { RunTask } from "../lib/runTasks";
import type { PipelineSpec } from "../lib/spec";
import { ArtifactView } from "./ArtifactView";
import { KeyValueTable, StateHistory } from "./KeyValues";
import { Command, ComponentInterface } from "./ComponentInfo";
import { LogView } from "./LogView";
import { Empty } from "./Messages";
import { ACTIVE_STATES, StateBadge } from "./State";
import { Tabs } from "./Tabs";

export type Tab = "overview" | "io" | "command" | "log";

export function TaskPanel({
  runId,
  spec,
  node,
  task,
  onClose,
  initialTab = "overview",
}: {
  runId: string;
  spec: PipelineSpec;
  node: SpecNode;
  task: RunTask | undefined;
  onClose: () => void;
  initialTab?: Tab;
}) {
  const [tab, setTab] = useState<Tab>(initialTab);
  const runsCode = node.kind === "container" || node.kind === "importer";
  const tabs: Array<{ name: Tab; label: string }> = [
    { name: "overview", label: "Overview" },
    { name: "io", label: "Input/Output" },
  ];
  if (runsCode) tabs.push({ name: "command", label: "Command" }, { name: "log", label: "Log" });
  const shown = tabs.some((item) => item.name === tab) ? tab : "overview";
  return (
    <aside class="side-panel" aria-label={`Task ${node.label}`}>
      <div class="side-panel-header">
        <h2>{node.label}</h2>
        <button type="button" class="icon-button" aria-label="Close the task panel" onClick={onClose}>
          ×
        </button>
      </div>
      <StateBadge state={task?.state ?? "PENDING"} cached={task?.cached} />
      <Tabs label="Task views" tabs={tabs} current={shown} onChange={setTab} />
      {shown === "overview" ? <Overview node={node} task={task} spec={spec} /> : null}
      {shown === "io" ? <InputsOutputs detail={task?.detail} /> : null}
      {shown === "command" ? <Command spec={spec} node={node} /> : null}
      {shown === "log" ? (
        task ? (
          <LogView runId={runId} taskId={task.id} live={ACTIVE_STATES.has(task.state)} />
        ) : (
          <Empty>The task has not started yet.</Empty>
        )
      ) : null}
    </aside>
  );
}

function Overview({ node, task, spec }: { node: SpecNode; task: RunTask | undefined; spec: PipelineSpec }) {
  const detail = task?.detail;
  const retries = Math.max(0, (detail?.attempts ?? 0) - 1);
  return (
    <>
      {detail?.error?.message ? (
        <div class="error-box" role="alert">
          <strong>{task?.state === "FAILED" ? "Failed:" : "Note:"}</strong> {detail.error.message}
        </div>
      ) : null}
      <dl class="facts">
        <dt>Started</dt>
        <dd>{formatDate(detail?.start_time)}</dd>
        <dt>Finished</dt>
        <dd>{formatDate(detail?.end_time)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(detail?.start_time, detail?.end_time)}</dd>
        {detail?.attempts !== undefined ? (
          <>
            <dt>Attempts</dt>
            <dd>
              {detail.attempts}
              {retries ? ` (${retries} ${retries === 1 ? "retry" : "retries"})` : ""}
            </dd>
          </>
        ) : null}
        {task?.cached ? (
          <>
            <dt>Cached</dt>
            <dd>reused the outputs of task {detail?.cached_from_task_id}</dd>
          </>
        ) : null}
        <dt>Task id</dt>
        <dd class="mono">{task?.id ?? "not created yet"}</dd>
        <dt>Component</dt>
        <dd class="mono">{node.componentName}</dd>
      </dl>
      <ComponentInterface spec={spec} node={node} />
      <StateHistory history={detail?.state_history} />
    </>
  );
}

function InputsOutputs({ detail }: { detail: TaskDetail | undefined }) {
  if (!detail) return <Empty>The task has not started yet.</Empty>;
  return (
    <>
      <ParameterTable title="Input parameters" values={detail.input_parameters} />
      {/* Inputs are some other task's outputs, previewed there: folded here to keep the outputs in view. */}
      <ArtifactLists title="Input artifacts" lists={detail.inputs} folded />
      <ParameterTable title="Output parameters" values={detail.output_parameters} />
      <ArtifactLists title="Output artifacts" lists={detail.outputs} />
      {!detail.input_parameters && !detail.inputs && !detail.output_parameters && !detail.outputs ? (
        <Empty>No inputs or outputs.</Empty>
      ) : null}
    </>
  );
}

function ParameterTable({ title, values }: { title: string; values: Record<string, unknown> | undefined }) {
  if (!values || !Object.keys(values).length) return null;
  return (
    <>
      <h3>{title}</h3>
      <KeyValueTable values={values} />
    </>
  );
}

function ArtifactLists({ title, lists, folded = false }: { title: string; lists: TaskDetail["outputs"]; folded?: boolean }) {
  const entries = Object.entries(lists ?? {}).flatMap(([name, list]) =>
    (list.artifact_ids ?? []).map((artifactId) => [name, artifactId] as const),
  );
  if (!entries.length) return null;
  return (
    <>
      <h3>{title}</h3>
      {entries.map(([name, artifactId]) => (
        <ArtifactView key={artifactId} artifactId={artifactId} outputName={name} folded={folded} />
      ))}
    </>
  );
}
