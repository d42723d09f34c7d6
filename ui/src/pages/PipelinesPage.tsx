import { useState } from "preact/hooks";
import { createPipelineFromUrl, deletePipeline, listPipelines, uploadPipeline } from "../api/client";
import type { Pipeline } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Dialog } from "../components/Dialog";
import { ErrorBox, ListStatus } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { SearchBox } from "../components/SearchBox";
import { SortHeader } from "../components/SortHeader";
import { errorText, useDebounced, usePagedList } from "../hooks";
import { formatDate } from "../lib/format";
import { Link, navigate } from "../router";

export function PipelinesPage() {
  const [search, setSearch] = useState("");
  const [uploading, setUploading] = useState(false);
  const [deleting, setDeleting] = useState<Pipeline>();
  const term = useDebounced(search.trim());
  const list = usePagedList(listPipelines, {
    key: "pipelines",
    predicates: term ? [{ key: "display_name", operation: "IS_SUBSTRING", value: term }] : [],
  });
  return (
    <section>
      <PageHeader title="Pipelines">
        <button type="button" class="primary" onClick={() => setUploading(true)}>
          Upload pipeline
        </button>
      </PageHeader>
      <div class="toolbar">
        <SearchBox value={search} onInput={setSearch} label="Search pipelines by name" />
      </div>
      <ListStatus
        list={list}
        what="pipelines"
        empty={
          term ? (
            <>No pipeline's name contains “{term}”.</>
          ) : (
            <>
              No pipelines yet. Upload a compiled pipeline (<code>sluice compile pipeline.py -o pipeline.yaml</code>) to
              get started.
            </>
          )
        }
      />
      {list.data && list.data.items.length > 0 ? (
        <table class="table">
          <thead>
            <tr>
              <SortHeader label="Name" sortKey="display_name" sortBy={list.sortBy} onSort={list.setSortBy} />
              <th>Description</th>
              <SortHeader label="Uploaded" sortKey="created_at" sortBy={list.sortBy} onSort={list.setSortBy} />
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((pipeline) => (
              <tr key={pipeline.pipeline_id}>
                <td>
                  <Link href={`/pipelines/${pipeline.pipeline_id}`}>{pipeline.display_name || pipeline.name}</Link>
                </td>
                <td class="muted">{pipeline.description}</td>
                <td>{formatDate(pipeline.created_at)}</td>
                <td class="row-actions">
                  <Link href={`/runs/new?pipeline=${pipeline.pipeline_id}`}>Create run</Link>{" "}
                  <button
                    type="button"
                    class="link-button"
                    aria-label={`Delete ${pipeline.display_name || pipeline.name}`}
                    onClick={() => setDeleting(pipeline)}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.data ? <Pager list={list} /> : null}
      {uploading ? <UploadDialog onClose={() => setUploading(false)} /> : null}
      {deleting ? (
        <DeletePipelineDialog
          pipeline={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            list.reload();
          }}
        />
      ) : null}
    </section>
  );
}

/** Delete a pipeline; its versions too when asked (the API refuses a pipeline with versions otherwise). */
export function DeletePipelineDialog({
  pipeline,
  onClose,
  onDeleted,
}: {
  pipeline: Pipeline;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const [cascade, setCascade] = useState(true);
  const name = pipeline.display_name || pipeline.name || pipeline.pipeline_id;
  return (
    <ConfirmDialog
      title={`Delete pipeline ${name}?`}
      onClose={onClose}
      onConfirm={async () => {
        await deletePipeline(pipeline.pipeline_id, cascade);
        onDeleted();
      }}
    >
      <p>Runs already made from it keep their own copy of the pipeline.</p>
      <label class="checkbox">
        <input type="checkbox" checked={cascade} onChange={(event) => setCascade(event.currentTarget.checked)} /> Also delete all
        its versions
      </label>
    </ConfirmDialog>
  );
}

/** Upload a new pipeline, or (with `upload`/`fromUrl`) a new version of one: a file, or a URL the server fetches. */
export function UploadDialog({
  onClose,
  upload,
  fromUrl,
  title = "Upload a pipeline",
}: {
  onClose: () => void;
  upload?: (file: File, name: string) => Promise<string>;
  fromUrl?: (url: string, name: string) => Promise<string>;
  title?: string;
}) {
  const [source, setSource] = useState<"file" | "url">("file");
  const [url, setUrl] = useState("");
  const [file, setFile] = useState<File>();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (source === "url") {
      if (!/^(https?|s3):\/\/\S+$/i.test(url.trim())) return setError("Give an http(s):// or s3:// URL of a compiled pipeline.");
    } else if (!file) return setError("Choose a pipeline file (.yaml, .zip or .tar.gz).");
    const fileName = source === "url" ? url.trim().split(/[?#]/)[0]!.split("/").pop() || "pipeline" : file!.name;
    const chosenName = name.trim() || fileName.replace(/\.(ya?ml|json|zip|tar\.gz|tgz)$/i, "");
    setBusy(true);
    setError(undefined);
    try {
      let target: string;
      if (source === "url") {
        target = fromUrl
          ? await fromUrl(url.trim(), chosenName)
          : `/pipelines/${(await createPipelineFromUrl(url.trim(), chosenName, description)).pipeline_id}`;
      } else {
        target = upload
          ? await upload(file!, chosenName)
          : `/pipelines/${(await uploadPipeline(file!, chosenName, description)).pipeline_id}`;
      }
      onClose();
      navigate(target);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <div class="radio-row" role="radiogroup" aria-label="Pipeline source">
          <label class="checkbox">
            <input type="radio" name="pipeline-source" checked={source === "file"} onChange={() => setSource("file")} /> A file
          </label>
          <label class="checkbox">
            <input type="radio" name="pipeline-source" checked={source === "url"} onChange={() => setSource("url")} /> From a URL
          </label>
        </div>
        {source === "file" ? (
          <label>
            Pipeline file
            <input
              type="file"
              name="uploadfile"
              accept=".yaml,.yml,.json,.zip,.gz,.tgz"
              required
              onChange={(event) => setFile(event.currentTarget.files?.[0])}
            />
          </label>
        ) : (
          <label>
            Package URL
            <input
              type="url"
              name="package_url"
              class="mono"
              value={url}
              placeholder="https://example.com/pipeline.yaml or s3://bucket/pipeline.yaml"
              required
              onInput={(event) => setUrl(event.currentTarget.value)}
            />
          </label>
        )}
        <label>
          Name
          <input type="text" value={name} placeholder={source === "file" ? (file?.name ?? "taken from the file name") : "taken from the URL"} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        {upload ? null : (
          <label>
            Description
            <textarea rows={2} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
          </label>
        )}
        {error ? <ErrorBox message={error} /> : null}
        <div class="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Uploading…" : "Upload"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
