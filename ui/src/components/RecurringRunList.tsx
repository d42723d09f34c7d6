import { useState } from "preact/hooks";
import { enableRecurringRun, listRecurringRuns } from "../api/client";
import type { RecurringRun } from "../api/types";
import { errorText, usePagedList } from "../hooks";
import { formatDate } from "../lib/format";
import { useNames } from "../names";
import { Link } from "../router";
import { ListStatus } from "./Messages";
import { Pager } from "./Pager";
import { SortHeader } from "./SortHeader";

export function describeTrigger(recurring: RecurringRun): string {
  const cron = recurring.trigger?.cron_schedule;
  if (cron?.cron) return `cron ${cron.cron}${cron.time_zone ? ` (${cron.time_zone})` : ""}`;
  const seconds = Number(recurring.trigger?.periodic_schedule?.interval_second ?? 0);
  if (!seconds) return "–";
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]] as const) {
    if (seconds % size === 0) {
      const count = seconds / size;
      return `every ${count === 1 ? unit : `${count} ${unit}s`}`;
    }
  }
  return `every ${seconds} seconds`;
}

export function isEnabled(recurring: RecurringRun): boolean {
  return recurring.status === "ENABLED" || (recurring.status === undefined && recurring.mode === "ENABLE");
}

export function EnableToggle({ recurring, onChanged }: { recurring: RecurringRun; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  const enabled = isEnabled(recurring);
  const toggle = async () => {
    setError(undefined);
    try {
      await enableRecurringRun(recurring.recurring_run_id, !enabled);
      onChanged();
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  return (
    <label class="switch">
      <input type="checkbox" role="switch" checked={enabled} onChange={toggle} aria-label={`${recurring.display_name} enabled`} />
      <span>{enabled ? "Enabled" : "Disabled"}</span>
      {error ? <span class="inline-error" role="alert"> {error}</span> : null}
    </label>
  );
}

export function RecurringRunList({ experimentId, compact = false }: { experimentId?: string; compact?: boolean }) {
  const list = usePagedList(listRecurringRuns, {
    key: "recurring",
    params: experimentId ? { experiment_id: experimentId } : {},
  });
  const items = list.data?.items ?? [];
  const experiments = useNames("experiment", experimentId ? [] : items.map((item) => item.experiment_id));
  if (list.error || !list.data || !items.length) {
    return (
      <ListStatus
        list={list}
        what="recurring runs"
        empty={
          <>
            No recurring runs{experimentId ? " in this experiment" : ""}. Choose “Recurring” when you{" "}
            <Link href="/runs/new?recurring=1">create a run</Link>.
          </>
        }
      />
    );
  }
  return (
    <>
      <table class="table">
        <thead>
          <tr>
            <SortHeader label="Name" sortKey="display_name" sortBy={list.sortBy} onSort={list.setSortBy} />
            <th>Status</th>
            <th>Trigger</th>
            {experimentId ? null : <th>Experiment</th>}
            <SortHeader label="Created" sortKey="created_at" sortBy={list.sortBy} onSort={list.setSortBy} />
          </tr>
        </thead>
        <tbody>
          {items.map((recurring) => (
            <tr key={recurring.recurring_run_id}>
              <td>
                <Link href={`/recurring/${recurring.recurring_run_id}`}>{recurring.display_name || recurring.recurring_run_id}</Link>
              </td>
              <td>
                <EnableToggle recurring={recurring} onChanged={list.reload} />
              </td>
              <td>{describeTrigger(recurring)}</td>
              {experimentId ? null : (
                <td>
                  {recurring.experiment_id ? (
                    <Link href={`/experiments/${recurring.experiment_id}`}>{experiments[recurring.experiment_id] ?? "…"}</Link>
                  ) : null}
                </td>
              )}
              <td>{formatDate(recurring.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {compact && list.data.totalSize <= list.pageSize ? null : <Pager list={list} />}
    </>
  );
}
