import { useState } from "preact/hooks";
import { listPipelines, uploadPipeline } from "../api/client";
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
                  <Link href={`/runs/new?pipeline=${pipeline.pipeline_id}`}>Create run</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.data ? <Pager list={list} /> : null}
      {uploading ? <UploadDialog onClose={() => setUploading(false)} /> : null}
    </section>
  );
}

/** Upload a new pipeline, or (with `pipelineId`) a new version of one. */
export function UploadDialog({
  onClose,
  upload,
  title = "Upload a pipeline",
}: {
  onClose: () => void;
  upload?: (file: File, name: string) => Promise<string>;
  title?: string;
}) {
  const [file, setFile] = useState<File>();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return setError("Choose a pipeline file (.yaml, .zip or .tar.gz).");
    const chosenName = name.trim() || file.name.replace(/\.(ya?ml|json|zip|tar\.gz|tgz)$/i, "");
    setBusy(true);
    setError(undefined);
    try {
      const target = upload
        ? await upload(file, chosenName)
        : `/pipelines/${(await uploadPipeline(file, chosenName, description)).pipeline_id}`;
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
        <label>
          Name
          <input type="text" value={name} placeholder={file?.name ?? "taken from the file name"} onInput={(event) => setName(event.currentTarget.value)} />
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
