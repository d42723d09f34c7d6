import { Fragment } from "preact";
import { useState } from "preact/hooks";
import {
  type Deployment,
  type DeploymentAction,
  deleteDeployment,
  deploymentHistory,
  deploymentMetrics,
  getDeployment,
  promoteDeployment,
  type Revision,
  rollbackDeployment,
} from "../api/serving";
import { DeploymentStateBadge, ServingChartRow, TrafficBar } from "../components/Deployments";
import { Dialog } from "../components/Dialog";
import { ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { errorText, useLoad } from "../hooks";
import { formatDate } from "../lib/format";
import { availableActions, rollbackText, servingCharts } from "../lib/serving";
import { Link, navigate, withQuery } from "../router";

const POLL_MS = 3000;
const WINDOW_S = 15 * 60;

type Confirming = { kind: "rollback"; to?: number } | { kind: "delete" };

export function DeploymentDetailsPage({ namespace, name }: { namespace: string; name: string }) {
  const key = `${namespace}/${name}`;
  const poll = { pollMs: POLL_MS, poll: () => true };
  const deployment = useLoad(() => getDeployment(namespace, name), key, poll);
  const history = useLoad(() => deploymentHistory(namespace, name), key, poll);
  const metrics = useLoad(() => deploymentMetrics(namespace, name), key, poll);
  const [confirming, setConfirming] = useState<Confirming>();
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (deployment.error && !deployment.data) return <ErrorBox message={deployment.error} onRetry={deployment.reload} />;
  if (!deployment.data) return <Loading what="Loading the deployment" />;
  const data = deployment.data;
  const actions = availableActions(data);

  const act = async (action: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
      setConfirming(undefined);
      if (after) after();
      else {
        deployment.reload();
        history.reload();
      }
    } catch (failure) {
      setActionError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };

  const now = Date.now() / 1000;
  return (
    <section>
      <PageHeader title={name} crumbs={[{ href: "/deployments", label: "Deployments" }]}>
        <button type="button" class="primary" disabled={!actions.promote || busy} onClick={() => act(() => promoteDeployment(namespace, name))}>
          Promote
        </button>
        <button type="button" disabled={!actions.rollback || busy} onClick={() => setConfirming({ kind: "rollback" })}>
          Rollback
        </button>
        <button type="button" class="danger" disabled={busy} onClick={() => setConfirming({ kind: "delete" })}>
          Delete
        </button>
      </PageHeader>
      {actionError ? <ErrorBox message={actionError} /> : null}
      <div class="summary">
        <DeploymentStateBadge state={data.state} />
        <span>
          <span class="muted">Namespace</span> {data.namespace}
        </span>
        <span>
          <span class="muted">URL</span> <code class="deployment-url">{data.url}</code>
        </span>
        <span>
          <span class="muted">Created</span> {formatDate(data.created_at)}
        </span>
      </div>
      {data.description ? <p>{data.description}</p> : null}
      <h2>Traffic</h2>
      <TrafficBar deployment={data} />
      {data.pending_revision != null ? <p class="muted">Revision {data.pending_revision} is loading; it takes traffic once every replica is ready.</p> : null}
      <p class="muted example">
        Predict: <code>curl -H 'Content-Type: application/json' -d '{"{"}"instances": [...]{"}"}' {data.url}/v1/models/{data.name}:predict</code>
      </p>
      {metrics.data ? (
        <ServingChartRow charts={servingCharts(metrics.data.points, metrics.data.interval_seconds, now, WINDOW_S)} width={330} height={150} />
      ) : null}
      <h2>Revisions</h2>
      <RevisionTable deployment={data} onRollback={(to) => setConfirming({ kind: "rollback", to })} busy={busy} />
      <h2>History</h2>
      <HistoryTable actions={history.data ?? []} />
      {confirming?.kind === "rollback" ? (
        <Dialog title={confirming.to ? `Roll back to revision ${confirming.to}` : "Roll back"} onClose={() => setConfirming(undefined)}>
          <p>
            {confirming.to
              ? `Revision ${confirming.to} takes all traffic (once ready, if it is not kept warm); revision ${data.current_revision} keeps serving until then.`
              : rollbackText(data)}
          </p>
          <div class="form-actions">
            <button type="button" onClick={() => setConfirming(undefined)}>
              Cancel
            </button>
            <button type="button" class="primary" disabled={busy} onClick={() => act(() => rollbackDeployment(namespace, name, confirming.to))}>
              Roll back
            </button>
          </div>
        </Dialog>
      ) : null}
      {confirming?.kind === "delete" ? (
        <Dialog title={`Delete ${name}`} onClose={() => setConfirming(undefined)}>
          <p>Its URL stops answering, its replicas stop, and its revisions and history are deleted.</p>
          <div class="form-actions">
            <button type="button" onClick={() => setConfirming(undefined)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() => act(() => deleteDeployment(namespace, name), () => navigate("/deployments"))}
            >
              Delete
            </button>
          </div>
        </Dialog>
      ) : null}
    </section>
  );
}

function canRollBackTo(deployment: Deployment, revision: Revision): boolean {
  return (
    revision.state !== "FAILED" &&
    revision.number !== deployment.current_revision &&
    revision.number !== deployment.canary_revision &&
    revision.number !== deployment.pending_revision
  );
}

function ModelSource({ revision }: { revision: Revision }) {
  if (!revision.run_id) return <span class="mono uri" title={revision.model_uri}>{revision.model_uri}</span>;
  const task = revision.task_name ?? undefined;
  return (
    <span>
      <Link href={withQuery(`/runs/${revision.run_id}`, { task })}>run {revision.run_id.slice(0, 8)}</Link>
      {task ? ` · ${task}` : ""}
      {revision.output_name ? (
        <>
          {" · "}
          <Link href={withQuery(`/runs/${revision.run_id}`, { task, task_tab: "io" })} title="The model artifact, in its task">
            {revision.output_name}
          </Link>
        </>
      ) : null}
    </span>
  );
}

function RevisionTable({ deployment, onRollback, busy }: { deployment: Deployment; onRollback: (to: number) => void; busy: boolean }) {
  return (
    <table class="table revisions-table">
      <thead>
        <tr>
          <th>Revision</th>
          <th>Role</th>
          <th>State</th>
          <th>Replicas</th>
          <th>Predictor</th>
          <th>Model</th>
          <th>Created</th>
          <th aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {deployment.revisions.map((revision) => (
          <Fragment key={revision.number}>
            <tr data-revision={revision.number}>
              <td>{revision.number}</td>
              <td>{revision.role}</td>
              <td>{revision.state}</td>
              <td class="numbers">
                {revision.ready_replicas}/{revision.replicas} ready
                {revision.replica_status.some((replica) => replica.restarts)
                  ? ` · ${revision.replica_status.reduce((sum, replica) => sum + replica.restarts, 0)} restarts`
                  : ""}
              </td>
              <td class="mono">{revision.predictor}</td>
              <td>
                <ModelSource revision={revision} />
              </td>
              <td>{formatDate(revision.created_at)}</td>
              <td class="row-actions">
                {canRollBackTo(deployment, revision) ? (
                  <button type="button" class="link-button" disabled={busy} onClick={() => onRollback(revision.number)}>
                    Roll back to this
                  </button>
                ) : null}
              </td>
            </tr>
            {revision.error ? (
              <tr class="revision-error">
                <td colSpan={8}>
                  <div class="error-box">
                    <strong>Failed to load:</strong> {revision.error}
                  </div>
                </td>
              </tr>
            ) : null}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function describeAction(action: DeploymentAction): string {
  const detail = action.detail;
  switch (action.action) {
    case "create":
      return `created from ${String(detail["model"] ?? "")}`;
    case "update":
      return detail["canary_percent"] ? `new revision as a ${String(detail["canary_percent"])}% canary` : "new revision";
    case "ready": {
      const traffic = (detail["traffic"] as Array<[number, number]> | undefined) ?? [];
      return `ready; traffic ${traffic.map(([revision, percent]) => `${percent}% → ${revision}`).join(", ")}`;
    }
    case "failed":
      return `failed to load: ${String(detail["error"] ?? "")}`;
    case "promote":
      return `promoted over revision ${String(detail["from"] ?? "–")}`;
    case "rollback":
      return detail["cancelled"] !== undefined
        ? `cancelled revision ${String(detail["cancelled"])}`
        : detail["dropped_canary"] !== undefined
          ? `dropped canary revision ${String(detail["dropped_canary"])}`
          : `rolled back from revision ${String(detail["from"] ?? "–")}${detail["loading"] ? " (loading first)" : ""}`;
    case "scale":
      return `replicas ${String(detail["from"])} → ${String(detail["to"])}`;
    default:
      return JSON.stringify(detail);
  }
}

function HistoryTable({ actions }: { actions: DeploymentAction[] }) {
  return (
    <table class="table history-table">
      <thead>
        <tr>
          <th>When</th>
          <th>Action</th>
          <th>Revision</th>
          <th>Who</th>
          <th>What</th>
        </tr>
      </thead>
      <tbody>
        {[...actions].reverse().map((action, index) => (
          <tr key={index} data-action={action.action}>
            <td>{formatDate(action.at)}</td>
            <td>{action.action}</td>
            <td>{action.revision ?? "–"}</td>
            <td>
              {action.actor}
              {typeof action.detail["client"] === "string" ? <span class="muted"> via {action.detail["client"]}</span> : null}
            </td>
            <td>{describeAction(action)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
