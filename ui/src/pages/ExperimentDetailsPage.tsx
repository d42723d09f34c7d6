import { useState } from "preact/hooks";
import { deleteExperiment, getExperiment } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { RecurringRunList } from "../components/RecurringRunList";
import { RunList } from "../components/RunList";
import { useLoad } from "../hooks";
import { formatDate } from "../lib/format";
import { Link, navigate, withQuery } from "../router";

export function ExperimentDetailsPage({ experimentId }: { experimentId: string }) {
  const experiment = useLoad(() => getExperiment(experimentId), experimentId);
  const [deleting, setDeleting] = useState(false);
  if (experiment.error) return <ErrorBox message={experiment.error} onRetry={experiment.reload} />;
  if (!experiment.data) return <Loading what="Loading the experiment" />;
  const data = experiment.data;
  return (
    <section>
      <PageHeader title={data.display_name || experimentId} crumbs={[{ href: "/experiments", label: "Experiments" }]}>
        <button type="button" onClick={() => navigate(withQuery("/runs/new", { experiment: experimentId, recurring: "1" }))}>
          Create recurring run
        </button>
        <button type="button" class="primary" onClick={() => navigate(withQuery("/runs/new", { experiment: experimentId }))}>
          Create run
        </button>
        <button type="button" class="danger" onClick={() => setDeleting(true)}>
          Delete
        </button>
      </PageHeader>
      {deleting ? (
        <ConfirmDialog
          title={`Delete experiment ${data.display_name || experimentId}?`}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await deleteExperiment(experimentId);
            navigate("/experiments");
          }}
        >
          <p>Only an experiment without runs can be deleted: delete or move its runs first.</p>
        </ConfirmDialog>
      ) : null}
      <p class="muted">
        {data.description ? `${data.description} · ` : ""}Created {formatDate(data.created_at)}
        {data.storage_state === "ARCHIVED" ? " · archived" : ""}
      </p>
      <h2>Recurring runs</h2>
      <RecurringRunList experimentId={experimentId} compact />
      <h2>Runs</h2>
      <RunList
        experimentId={experimentId}
        empty={
          <>
            No runs in this experiment yet.{" "}
            <Link href={withQuery("/runs/new", { experiment: experimentId })}>Create a run</Link> in it.
          </>
        }
      />
    </section>
  );
}
