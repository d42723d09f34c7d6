import { useState } from "preact/hooks";
import { deleteRecurringRun, getRecurringRun } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { KeyValueTable } from "../components/KeyValues";
import { ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { describeTrigger, EnableToggle } from "../components/RecurringRunList";
import { RunList } from "../components/RunList";
import { useLoad } from "../hooks";
import { formatDate } from "../lib/format";
import { useNames } from "../names";
import { Link, navigate, withQuery } from "../router";

export function RecurringRunDetailsPage({ recurringRunId }: { recurringRunId: string }) {
  const recurring = useLoad(() => getRecurringRun(recurringRunId), recurringRunId);
  const [deleting, setDeleting] = useState(false);
  const data = recurring.data;
  const pipelineId = data?.pipeline_version_reference?.pipeline_id;
  const pipelines = useNames("pipeline", [pipelineId]);
  const experiments = useNames("experiment", [data?.experiment_id]);
  if (recurring.error) return <ErrorBox message={recurring.error} onRetry={recurring.reload} />;
  if (!data) return <Loading what="Loading the recurring run" />;
  const schedule = data.trigger?.cron_schedule ?? data.trigger?.periodic_schedule;
  return (
    <section>
      <PageHeader title={data.display_name || recurringRunId} crumbs={[{ href: "/recurring", label: "Recurring runs" }]}>
        <EnableToggle recurring={data} onChanged={recurring.reload} />
        <button type="button" onClick={() => navigate(withQuery("/runs/new", { cloneRecurring: recurringRunId }))}>
          Clone
        </button>
        <button type="button" class="danger" onClick={() => setDeleting(true)}>
          Delete
        </button>
      </PageHeader>
      {deleting ? (
        <ConfirmDialog
          title={`Delete recurring run ${data.display_name || recurringRunId}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteRecurringRun(recurringRunId);
            navigate("/recurring");
          }}
        >
          <p>It starts no more runs; the runs it started stay.</p>
        </ConfirmDialog>
      ) : null}
      <div class="info-grid">
        <dl class="facts">
          <dt>Trigger</dt>
          <dd>{describeTrigger(data)}</dd>
          <dt>Starts</dt>
          <dd>{formatDate(schedule?.start_time)}</dd>
          <dt>Ends</dt>
          <dd>{schedule?.end_time ? formatDate(schedule.end_time) : "never"}</dd>
          <dt>Max concurrent runs</dt>
          <dd>{data.max_concurrency ?? "1"}</dd>
          <dt>Catch up</dt>
          <dd>{data.no_catchup ? "no" : "yes"}</dd>
          <dt>Pipeline</dt>
          <dd>
            {pipelineId ? <Link href={`/pipelines/${pipelineId}`}>{pipelines[pipelineId] ?? "…"}</Link> : "inline spec"}
            {pipelineId && !data.pipeline_version_reference?.pipeline_version_id ? " (its latest version at each run)" : ""}
          </dd>
          <dt>Experiment</dt>
          <dd>
            {data.experiment_id ? <Link href={`/experiments/${data.experiment_id}`}>{experiments[data.experiment_id] ?? "…"}</Link> : "–"}
          </dd>
          <dt>Created</dt>
          <dd>{formatDate(data.created_at)}</dd>
        </dl>
        <div>
          <h3>Parameters</h3>
          <KeyValueTable values={data.runtime_config?.parameters ?? {}} />
        </div>
      </div>
      <h2>Runs it started</h2>
      <RunList recurringRunId={recurringRunId} empty="No runs started yet: they start on schedule while it is enabled." />
    </section>
  );
}
