// The side panel for one task of a run: what it did, what went in and out, its command and its log.

import { useState } from "preact/hooks";
import type { EnvSource, TaskDetail, TaskPlatform } from "../api/types";
import { formatDate, formatDuration } from "../lib/format";
import type { SpecNode } from "../lib/graph";
import type { RunTask } from "../lib/runTasks";
import type { PipelineSpec } from "../lib/spec";
import { ArtifactView } from "./ArtifactView";
import { KeyValueTable, StateHistory } from "./KeyValues";
import { Command, ComponentInterface } from "./ComponentInfo";
import { LogView } from "./LogView";
import { Link, withQuery } from "../router";
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
            <dd>
              {detail?.cached_from_run_id ? (
                <>
                  reused the outputs of{" "}
                  <Link
                    href={withQuery(`/runs/${detail.cached_from_run_id}`, {
                      task: (detail.cached_from_task_path ?? "").split("/").pop() || undefined,
                    })}
                  >
                    task {(detail.cached_from_task_path ?? "").split("/").pop() || detail.cached_from_task_id}
                  </Link>{" "}
                  of run <Link href={`/runs/${detail.cached_from_run_id}`}>{detail.cached_from_run_id}</Link>
                </>
              ) : (
                <>reused the outputs of task {detail?.cached_from_task_id} (since deleted)</>
              )}
            </dd>
          </>
        ) : null}
        {detail?.node_id ? (
          <>
            <dt>Node</dt>
            <dd class="mono" title={detail.node_id}>
              {detail.node_address ?? "?"} · {detail.node_id.slice(0, 12)}
            </dd>
          </>
        ) : null}
        <dt>Task id</dt>
        <dd class="mono">{task?.id ?? "not created yet"}</dd>
        <dt>Component</dt>
        <dd class="mono">{node.componentName}</dd>
      </dl>
      <ComponentInterface spec={spec} node={node} />
      <KubernetesSettings platform={detail?.platform} />
      <StateHistory history={detail?.state_history} />
    </>
  );
}

function envSource(entry: EnvSource): string {
  const origin =
    entry.from === "field_path"
      ? `field path ${entry.field_path}`
      : `${entry.from === "secret" ? "secret" : "config map"} ${entry.source}, key ${entry.key}`;
  return entry.skipped ? `${origin} (not set: ${entry.skipped})` : origin;
}

/** The task's kfp-kubernetes settings as the engine applied them; secret values are never part of them. */
function KubernetesSettings({ platform }: { platform: TaskPlatform | undefined }) {
  if (!platform) return null;
  const env = Object.fromEntries((platform.env ?? []).map((entry) => [entry.name, envSource(entry)]));
  return (
    <section aria-label="Kubernetes settings">
      <h3>Kubernetes settings</h3>
      <dl class="facts">
        {platform.profile ? (
          <>
            <dt>Execution profile</dt>
            <dd>{platform.profile} (sandboxed)</dd>
          </>
        ) : null}
        {platform.pod_name ? (
          <>
            <dt>Pod name</dt>
            <dd class="mono">{platform.pod_name}</dd>
          </>
        ) : null}
        {platform.pod_name ? (
          <>
            <dt>Namespace</dt>
            <dd>{platform.namespace}</dd>
            <dt>Service account</dt>
            <dd>{platform.service_account}</dd>
          </>
        ) : null}
        {platform.timeout_seconds !== undefined ? (
          <>
            <dt>Timeout</dt>
            <dd>{platform.timeout_seconds} s</dd>
          </>
        ) : null}
      </dl>
      {Object.keys(env).length ? (
        <>
          <h4>Environment from settings</h4>
          <KeyValueTable values={env} />
        </>
      ) : null}
      {platform.labels && Object.keys(platform.labels).length ? (
        <>
          <h4>Pod labels</h4>
          <KeyValueTable values={platform.labels} />
        </>
      ) : null}
      {platform.annotations && Object.keys(platform.annotations).length ? (
        <>
          <h4>Pod annotations</h4>
          <KeyValueTable values={platform.annotations} />
        </>
      ) : null}
      {platform.volumes?.length ? (
        <>
          <h4>Volumes</h4>
          <KeyValueTable
            values={Object.fromEntries(
              platform.volumes.map((volume) => [volume.mount_path, volume.tmpfs ? "tmpfs" : volume.read_only ? "read-only" : "writable"]),
            )}
          />
        </>
      ) : null}
      {platform.not_applied && Object.keys(platform.not_applied).length ? (
        <>
          <h4>Recorded, not used on this machine</h4>
          <KeyValueTable values={platform.not_applied} />
        </>
      ) : null}
    </section>
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
