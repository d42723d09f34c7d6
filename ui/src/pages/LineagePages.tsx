// One artifact or one execution: what it is, who made and used it, and the lineage explorer around it.

import { useMemo } from "preact/hooks";
import { getArtifactDetail, getExecutionDetail, getLineage, type ArtifactUse, type ExecutionUse } from "../api/lineage";
import { ArtifactView } from "../components/ArtifactView";
import { LineageExplorer } from "../components/LineageExplorer";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { useLoad } from "../hooks";
import { formatDate } from "../lib/format";
import { Link } from "../router";

const CRUMBS = [{ href: "/artifacts", label: "Artifacts" }];

function ExecutionUses({ uses, empty }: { uses: ExecutionUse[]; empty: string }) {
  if (!uses.length) return <Empty>{empty}</Empty>;
  return (
    <ul class="uses">
      {uses.slice(0, USES_SHOWN).map((use) => (
        <li key={`${use.execution.id}-${use.key}-${use.list_index ?? ""}`}>
          <Link href={`/executions/${use.execution.id}`}>{use.execution.name}</Link> ({use.key}, {use.execution.state.toLowerCase()})
          {use.execution.run_id ? (
            <>
              {" "}
              in run <Link href={`/runs/${use.execution.run_id}`}>{use.execution.run_id.slice(0, 8)}</Link>
            </>
          ) : null}
          {use.execution.cached_from_run_id ? (
            <>
              {" "}
              · reused run <Link href={`/runs/${use.execution.cached_from_run_id}`}>{use.execution.cached_from_run_id.slice(0, 8)}</Link>
            </>
          ) : null}
        </li>
      ))}
      {uses.length > USES_SHOWN ? <li class="muted">and {uses.length - USES_SHOWN} more (all of them in the lineage graph)</li> : null}
    </ul>
  );
}

function ArtifactUses({ uses, empty }: { uses: ArtifactUse[]; empty: string }) {
  if (!uses.length) return <Empty>{empty}</Empty>;
  return (
    <ul class="uses">
      {uses.map((use) => (
        <li key={`${use.artifact.id}-${use.key}-${use.list_index ?? ""}`}>
          <Link href={`/artifacts/${use.artifact.id}`}>{use.artifact.name || use.artifact.id}</Link> ({use.key},{" "}
          {use.artifact.type.replace("system.", "")})
        </li>
      ))}
    </ul>
  );
}

/** How many uses a details page lists; the lineage explorer shows them all. */
const USES_SHOWN = 100;

export function ArtifactDetailsPage({ artifactId }: { artifactId: string }) {
  // The lineage is asked for beside the details, not after them (the explorer picks up the same answer).
  useMemo(() => void getLineage({ artifact: artifactId }, 2).catch(() => undefined), [artifactId]);
  const detail = useLoad(() => getArtifactDetail(artifactId), artifactId);
  if (detail.error) return <ErrorBox message={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading what="Loading the artifact" />;
  const { artifact, produced_by, consumed_by, deployed_in } = detail.data;
  return (
    <section>
      <PageHeader title={artifact.name || artifact.id} crumbs={CRUMBS} />
      <dl class="facts">
        <dt>Type</dt>
        <dd>{artifact.type}</dd>
        <dt>URI</dt>
        <dd>
          <code>{artifact.uri}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatDate(artifact.created_at)}</dd>
      </dl>
      <h2>Lineage</h2>
      <LineageExplorer center={`artifact:${artifact.id}`} />
      <div class="columns">
        <div>
          <h2>Produced by</h2>
          <ExecutionUses uses={produced_by} empty="No execution produced it (imported)." />
        </div>
        <div>
          <h2>Used by</h2>
          <ExecutionUses uses={consumed_by} empty="Nothing has read it yet." />
        </div>
      </div>
      <h2>Deployed in</h2>
      {deployed_in.length ? (
        <ul class="uses">
          {deployed_in.map((place) => (
            <li key={`${place.namespace}/${place.deployment}/${place.revision}`}>
              <Link href={`/deployments/${place.namespace}/${place.deployment}`}>{place.deployment}</Link> revision {place.revision} (
              {place.state.toLowerCase()})
            </li>
          ))}
        </ul>
      ) : (
        <Empty>Not deployed.</Empty>
      )}
      <h2>Content</h2>
      <ArtifactView artifactId={artifact.id} outputName={artifact.name || "artifact"} />
    </section>
  );
}

export function ExecutionDetailsPage({ executionId }: { executionId: string }) {
  useMemo(() => void getLineage({ execution: executionId }, 2).catch(() => undefined), [executionId]);
  const detail = useLoad(() => getExecutionDetail(executionId), executionId);
  if (detail.error) return <ErrorBox message={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading what="Loading the execution" />;
  const { execution, inputs, outputs } = detail.data;
  return (
    <section>
      <PageHeader title={execution.name || execution.id} crumbs={[{ href: "/executions", label: "Executions" }]} />
      <dl class="facts">
        <dt>Type</dt>
        <dd>{execution.type}</dd>
        <dt>State</dt>
        <dd>{execution.state.toLowerCase()}</dd>
        <dt>Run</dt>
        <dd>{execution.run_id ? <Link href={`/runs/${execution.run_id}`}>{execution.task_path ?? execution.run_id}</Link> : "—"}</dd>
        {execution.cached_from_run_id ? (
          <>
            <dt>Cache hit</dt>
            <dd>
              reused the outputs of a task of <Link href={`/runs/${execution.cached_from_run_id}`}>run {execution.cached_from_run_id.slice(0, 8)}</Link>
            </dd>
          </>
        ) : null}
      </dl>
      <h2>Lineage</h2>
      <LineageExplorer center={`execution:${execution.id}`} />
      <div class="columns">
        <div>
          <h2>Inputs</h2>
          <ArtifactUses uses={inputs} empty="No input artifacts." />
        </div>
        <div>
          <h2>Outputs</h2>
          <ArtifactUses uses={outputs} empty="No output artifacts." />
        </div>
      </div>
    </section>
  );
}
