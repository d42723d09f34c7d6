// The runs table: live states, durations, logged metrics as columns, server-side sort, filter and paging.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { type Operation, type Predicate, listRuns, runAction } from "../api/client";
import type { Run, RuntimeState } from "../api/types";
import { errorText, useDebounced, usePagedList } from "../hooks";
import { formatDate, formatDuration, formatValue } from "../lib/format";
import { pipelineSpecOf } from "../lib/spec";
import { useNames } from "../names";
import { Link, navigate } from "../router";
import { ErrorBox, ListStatus } from "./Messages";
import { Pager } from "./Pager";
import { SearchBox } from "./SearchBox";
import { SortHeader } from "./SortHeader";
import { ACTIVE_STATES, StateBadge, stateLabel } from "./State";

const STATES: RuntimeState[] = ["RUNNING", "PENDING", "SUCCEEDED", "FAILED", "CANCELED", "SKIPPED", "PAUSED"];
const METRIC_OPERATIONS: Array<[Operation, string]> = [
  ["GREATER_THAN_EQUALS", "≥"],
  ["LESS_THAN_EQUALS", "≤"],
  ["GREATER_THAN", ">"],
  ["LESS_THAN", "<"],
  ["EQUALS", "="],
];
const POLL_MS = 3000;

interface MetricFilter {
  name: string;
  operation: Operation;
  value: string;
}

export function RunList({
  experimentId,
  recurringRunId,
  empty,
}: {
  experimentId?: string;
  recurringRunId?: string;
  /** What to say when there are no runs at all (no filter set). */
  empty?: ComponentChildren;
}) {
  const [search, setSearch] = useState("");
  const [state, setState] = useState<RuntimeState | "">("");
  const [archived, setArchived] = useState(false);
  const [metricFilter, setMetricFilter] = useState<MetricFilter>({ name: "", operation: "GREATER_THAN_EQUALS", value: "" });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [actionError, setActionError] = useState<string>();
  const term = useDebounced(search.trim());
  const metric = useDebounced(metricFilter);

  const predicates: Predicate[] = [
    { key: "storage_state", operation: archived ? "EQUALS" : "NOT_EQUALS", value: "ARCHIVED" },
  ];
  if (term) predicates.push({ key: "display_name", operation: "IS_SUBSTRING", value: term });
  if (state) predicates.push({ key: "state", operation: "EQUALS", value: state });
  if (recurringRunId) predicates.push({ key: "recurring_run_id", operation: "EQUALS", value: recurringRunId });
  const metricValue = Number(metric.value);
  const metricFilterValid = metric.name.trim() !== "" && metric.value.trim() !== "" && Number.isFinite(metricValue);
  if (metricFilterValid) {
    predicates.push({ key: `metric:${metric.name.trim()}`, operation: metric.operation, value: metricValue });
  }
  const params: Record<string, string> = experimentId ? { experiment_id: experimentId } : {};
  const list = usePagedList(listRuns, {
    key: "runs",
    predicates,
    params,
    pollMs: POLL_MS,
    poll: (page) => page.items.some((run) => ACTIVE_STATES.has(run.state)),
  });
  const runs = list.data?.items ?? [];
  const pipelines = useNames("pipeline", runs.map((run) => run.pipeline_version_reference?.pipeline_id));
  const experiments = useNames("experiment", experimentId ? [] : runs.map((run) => run.experiment_id));
  const metricNames = [...new Set(runs.flatMap((run) => Object.keys(run.metrics ?? {})))].sort();

  const toggle = (runId: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(runId)) next.add(runId);
      return next;
    });
  const archiveSelected = async () => {
    setActionError(undefined);
    try {
      await Promise.all([...selected].map((runId) => runAction(runId, archived ? "unarchive" : "archive")));
      setSelected(new Set());
      list.reload();
    } catch (error) {
      setActionError(errorText(error));
    }
  };
  const filtering = Boolean(term || state || metricFilterValid);

  return (
    <div class="run-list">
      <div class="toolbar">
        <SearchBox value={search} onInput={setSearch} label="Search runs by name" />
        <label>
          State{" "}
          <select value={state} onChange={(event) => setState(event.currentTarget.value as RuntimeState | "")}>
            <option value="">any</option>
            {STATES.map((value) => (
              <option key={value} value={value}>
                {stateLabel(value)}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="metric-filter">
          <legend class="visually-hidden">Filter by a logged metric</legend>
          <input
            type="text"
            aria-label="Metric name"
            placeholder="metric, e.g. accuracy"
            class="metric-name"
            list="metric-names"
            value={metricFilter.name}
            onInput={(event) => setMetricFilter({ ...metricFilter, name: event.currentTarget.value })}
          />
          <datalist id="metric-names">
            {metricNames.map((name) => (
              <option key={name} value={name} />
            ))}
          </datalist>
          <select
            aria-label="Comparison"
            value={metricFilter.operation}
            onChange={(event) => setMetricFilter({ ...metricFilter, operation: event.currentTarget.value as Operation })}
          >
            {METRIC_OPERATIONS.map(([operation, symbol]) => (
              <option key={operation} value={operation}>
                {symbol}
              </option>
            ))}
          </select>
          <input
            type="text"
            inputMode="decimal"
            aria-label="Metric value"
            placeholder="value"
            class={metricFilter.value && !Number.isFinite(Number(metricFilter.value)) ? "invalid narrow" : "narrow"}
            value={metricFilter.value}
            onInput={(event) => setMetricFilter({ ...metricFilter, value: event.currentTarget.value })}
          />
        </fieldset>
        <label class="checkbox">
          <input type="checkbox" checked={archived} onChange={(event) => setArchived(event.currentTarget.checked)} /> Archived
        </label>
        <span class="spacer" />
        <button
          type="button"
          disabled={selected.size < 2}
          title="Select two or more runs to compare"
          onClick={() => navigate(`/compare?runs=${[...selected].join(",")}`)}
        >
          Compare ({selected.size})
        </button>
        <button type="button" disabled={selected.size === 0} onClick={archiveSelected}>
          {archived ? "Restore" : "Archive"}
        </button>
      </div>
      {actionError ? <ErrorBox message={actionError} /> : null}
      <ListStatus
        list={list}
        what="runs"
        empty={
          filtering || archived
            ? "No run matches these filters."
            : (empty ?? (
                <>
                  No runs yet. <Link href="/runs/new">Create a run</Link> from an uploaded pipeline, or submit one with{" "}
                  <code>kfp.Client</code> or <code>sluice runs submit</code>.
                </>
              ))
        }
      />
      {runs.length > 0 ? (
        <div class="table-scroll">
          <table class="table runs-table">
            <thead>
              <tr>
                <th class="select-cell">
                  <span class="visually-hidden">Select</span>
                </th>
                <SortHeader label="Run" sortKey="display_name" sortBy={list.sortBy} onSort={list.setSortBy} />
                <th>State</th>
                <th class="numeric">Duration</th>
                <th>Pipeline</th>
                {experimentId ? null : <th>Experiment</th>}
                <SortHeader label="Started" sortKey="created_at" sortBy={list.sortBy} onSort={list.setSortBy} />
                {metricNames.map((name) => (
                  <SortHeader key={name} label={name} sortKey={`metric:${name}`} sortBy={list.sortBy} onSort={list.setSortBy} />
                ))}
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <RunRow
                  key={run.run_id}
                  run={run}
                  selected={selected.has(run.run_id)}
                  onToggle={() => toggle(run.run_id)}
                  pipelineName={pipelineName(run, pipelines)}
                  experimentName={experimentId ? undefined : experiments[run.experiment_id ?? ""] ?? run.experiment_id ?? ""}
                  metricNames={metricNames}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {list.data?.totalSize ? <Pager list={list} /> : null}
    </div>
  );
}

function pipelineName(run: Run, names: Record<string, string>): string {
  const pipelineId = run.pipeline_version_reference?.pipeline_id;
  if (pipelineId) return names[pipelineId] ?? "…";
  return run.pipeline_name ?? pipelineSpecOf(run.pipeline_spec)?.pipelineInfo?.name ?? "";
}

function RunRow({
  run,
  selected,
  onToggle,
  pipelineName,
  experimentName,
  metricNames,
}: {
  run: Run;
  selected: boolean;
  onToggle: () => void;
  pipelineName: string;
  experimentName: string | undefined;
  metricNames: string[];
}) {
  const name = run.display_name || run.run_id;
  const pipelineId = run.pipeline_version_reference?.pipeline_id;
  return (
    <tr class={selected ? "selected-row" : ""} data-run-id={run.run_id}>
      <td class="select-cell">
        <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select ${name}`} />
      </td>
      <td>
        <Link href={`/runs/${run.run_id}`}>{name}</Link>
      </td>
      <td>
        <StateBadge state={run.state} />
      </td>
      <td class="numeric">{formatDuration(run.created_at, run.finished_at)}</td>
      <td>{pipelineId ? <Link href={`/pipelines/${pipelineId}`}>{pipelineName}</Link> : pipelineName}</td>
      {experimentName === undefined ? null : (
        <td>{run.experiment_id ? <Link href={`/experiments/${run.experiment_id}`}>{experimentName}</Link> : null}</td>
      )}
      <td class="nowrap">{formatDate(run.created_at)}</td>
      {metricNames.map((metric) => (
        <td key={metric} class="numeric">
          {formatValue(run.metrics?.[metric])}
        </td>
      ))}
    </tr>
  );
}
