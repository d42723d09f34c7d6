import { useEffect, useMemo, useState } from "preact/hooks";
import { createVersionFromUrl, deleteVersion, getPipeline, getVersion, listVersions, uploadVersion } from "../api/client";
import type { PipelineVersion } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ComponentInterface, Command } from "../components/ComponentInfo";
import { Dag } from "../components/Dag";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { Tabs } from "../components/Tabs";
import { Yaml } from "../components/Yaml";
import { useLoad, usePagedList } from "../hooks";
import { formatDate } from "../lib/format";
import { allNodes, buildSpecGraph, type SpecNode } from "../lib/graph";
import { pipelineSpecOf } from "../lib/spec";
import { Link, navigate, withQuery } from "../router";
import { DeletePipelineDialog, UploadDialog } from "./PipelinesPage";

type Tab = "graph" | "yaml" | "versions";

export function PipelineDetailsPage({ pipelineId, versionId }: { pipelineId: string; versionId: string | null }) {
  const [tab, setTab] = useState<Tab>("graph");
  const [uploading, setUploading] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deletingVersion, setDeletingVersion] = useState<PipelineVersion>();
  const [selected, setSelected] = useState<SpecNode>();
  const pipeline = useLoad(() => getPipeline(pipelineId), pipelineId);
  const versions = usePagedList((query) => listVersions(pipelineId, query), { key: `versions:${pipelineId}` });
  // Without a version in the URL, show the newest.
  const shownVersionId = versionId ?? versions.data?.items[0]?.pipeline_version_id;
  const version = useLoad(
    () => (shownVersionId ? getVersion(pipelineId, shownVersionId) : Promise.resolve(undefined)),
    `${pipelineId}/${shownVersionId ?? ""}`,
  );
  const spec = pipelineSpecOf(version.data?.pipeline_spec);
  // A task picked in one version may not exist in the next.
  useEffect(() => setSelected(undefined), [shownVersionId]);
  const graph = useMemo(() => (spec ? buildSpecGraph(spec) : undefined), [spec]);

  if (pipeline.error) return <ErrorBox message={pipeline.error} onRetry={pipeline.reload} />;
  if (!pipeline.data) return <Loading what="Loading the pipeline" />;
  const name = pipeline.data.display_name || pipeline.data.name || pipelineId;
  return (
    <section>
      <PageHeader title={name} crumbs={[{ href: "/pipelines", label: "Pipelines" }]}>
        <button type="button" onClick={() => setUploading(true)}>
          Upload version
        </button>
        <button
          type="button"
          class="primary"
          onClick={() => navigate(withQuery("/runs/new", { pipeline: pipelineId, version: shownVersionId }))}
        >
          Create run
        </button>
        <button type="button" class="danger" onClick={() => setDeleting(true)}>
          Delete
        </button>
      </PageHeader>
      {deleting ? (
        <DeletePipelineDialog pipeline={pipeline.data} onClose={() => setDeleting(false)} onDeleted={() => navigate("/pipelines")} />
      ) : null}
      {deletingVersion ? (
        <ConfirmDialog
          title={`Delete version ${deletingVersion.display_name || deletingVersion.name}?`}
          onClose={() => setDeletingVersion(undefined)}
          onConfirm={async () => {
            await deleteVersion(pipelineId, deletingVersion.pipeline_version_id);
            setDeletingVersion(undefined);
            versions.reload();
            if (deletingVersion.pipeline_version_id === shownVersionId) navigate(`/pipelines/${pipelineId}`, { replace: true });
          }}
        >
          <p>Runs made from it keep their own copy of the pipeline.</p>
        </ConfirmDialog>
      ) : null}
      {pipeline.data.description ? <p class="muted">{pipeline.data.description}</p> : null}
      <div class="toolbar">
        <label>
          Version{" "}
          <select
            value={shownVersionId ?? ""}
            onChange={(event) =>
              navigate(withQuery(`/pipelines/${pipelineId}`, { version: event.currentTarget.value }), { replace: true })
            }
          >
            {versions.data?.items.map((item) => (
              <option key={item.pipeline_version_id} value={item.pipeline_version_id}>
                {item.display_name || item.name} ({formatDate(item.created_at)})
              </option>
            ))}
          </select>
        </label>
      </div>
      <Tabs
        label="Pipeline views"
        current={tab}
        onChange={setTab}
        tabs={[
          { name: "graph", label: "Graph" },
          { name: "yaml", label: "YAML" },
          { name: "versions", label: `Versions (${versions.data?.totalSize ?? "…"})` },
        ]}
      />
      {version.error ? <ErrorBox message={version.error} onRetry={version.reload} /> : null}
      {tab === "graph" && spec && graph ? (
        <div class="split">
          <Dag key={shownVersionId} graph={graph} selectedKey={selected?.key} onSelect={setSelected} />
          {selected ? (
            <aside class="side-panel" aria-label={`Task ${selected.label}`}>
              <div class="side-panel-header">
                <h2>{selected.label}</h2>
                <button type="button" class="icon-button" aria-label="Close" onClick={() => setSelected(undefined)}>
                  ×
                </button>
              </div>
              <ComponentInterface spec={spec} node={selected} />
              <Command spec={spec} node={selected} />
            </aside>
          ) : (
            <aside class="side-panel muted">
              <p>
                {[...allNodes(graph)].length} tasks. Select a task to see its inputs, outputs and command; groups
                (loops, conditions, nested pipelines) open and close with their ± button.
              </p>
            </aside>
          )}
        </div>
      ) : null}
      {tab === "graph" && !spec && !version.error && !version.loading ? <Empty>This pipeline has no versions.</Empty> : null}
      {tab === "yaml" && version.data?.pipeline_spec ? <Yaml value={version.data.pipeline_spec} /> : null}
      {tab === "versions" ? (
        <>
          <table class="table">
            <thead>
              <tr>
                <th>Version</th>
                <th>Description</th>
                <th>Uploaded</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {versions.data?.items.map((item) => (
                <tr key={item.pipeline_version_id} class={item.pipeline_version_id === shownVersionId ? "current-row" : ""}>
                  <td>
                    <Link href={withQuery(`/pipelines/${pipelineId}`, { version: item.pipeline_version_id })}>
                      {item.display_name || item.name}
                    </Link>
                  </td>
                  <td class="muted">{item.description}</td>
                  <td>{formatDate(item.created_at)}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      class="link-button"
                      aria-label={`Delete version ${item.display_name || item.name}`}
                      onClick={() => setDeletingVersion(item)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager list={versions} />
        </>
      ) : null}
      {uploading ? (
        <UploadDialog
          title={`Upload a new version of ${name}`}
          onClose={() => setUploading(false)}
          upload={async (file, versionName) => {
            const created = await uploadVersion(pipelineId, file, versionName);
            versions.reload();
            return withQuery(`/pipelines/${pipelineId}`, { version: created.pipeline_version_id });
          }}
          fromUrl={async (url, versionName) => {
            const created = await createVersionFromUrl(pipelineId, url, versionName);
            versions.reload();
            return withQuery(`/pipelines/${pipelineId}`, { version: created.pipeline_version_id });
          }}
        />
      ) : null}
    </section>
  );
}
