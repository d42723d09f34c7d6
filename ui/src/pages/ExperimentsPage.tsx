import { useState } from "preact/hooks";
import { archiveExperiment, createExperiment, listExperiments, listRuns } from "../api/client";
import { stateClass, stateIcon, stateLabel } from "../components/State";
import { Dialog } from "../components/Dialog";
import { ErrorBox, ListStatus } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { Pager } from "../components/Pager";
import { SearchBox } from "../components/SearchBox";
import { SortHeader } from "../components/SortHeader";
import { errorText, useDebounced, useLoad, usePagedList } from "../hooks";
import { formatDate } from "../lib/format";
import { Link, navigate } from "../router";

export function ExperimentsPage() {
  const [search, setSearch] = useState("");
  const [archived, setArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const term = useDebounced(search.trim());
  const list = usePagedList(listExperiments, {
    key: "experiments",
    predicates: [
      { key: "storage_state", operation: archived ? "EQUALS" : "NOT_EQUALS", value: "ARCHIVED" },
      ...(term ? [{ key: "display_name", operation: "IS_SUBSTRING" as const, value: term }] : []),
    ],
  });
  const toggleArchive = async (experimentId: string) => {
    setActionError(undefined);
    try {
      await archiveExperiment(experimentId, !archived);
      list.reload();
    } catch (error) {
      setActionError(errorText(error));
    }
  };
  return (
    <section>
      <PageHeader title="Experiments">
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          Create experiment
        </button>
      </PageHeader>
      <div class="toolbar">
        <SearchBox value={search} onInput={setSearch} label="Search experiments by name" />
        <label class="checkbox">
          <input type="checkbox" checked={archived} onChange={(event) => setArchived(event.currentTarget.checked)} /> Archived
        </label>
      </div>
      {actionError ? <ErrorBox message={actionError} /> : null}
      <ListStatus
        list={list}
        what="experiments"
        empty={term || archived ? "No experiment matches." : "No experiments yet: runs go to the Default experiment."}
      />
      {list.data && list.data.items.length ? (
        <table class="table">
          <thead>
            <tr>
              <SortHeader label="Name" sortKey="display_name" sortBy={list.sortBy} onSort={list.setSortBy} />
              <th>Description</th>
              <SortHeader label="Created" sortKey="created_at" sortBy={list.sortBy} onSort={list.setSortBy} />
              <th>Last run</th>
              <th>Recent runs</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((experiment) => (
              <tr key={experiment.experiment_id}>
                <td>
                  <Link href={`/experiments/${experiment.experiment_id}`}>{experiment.display_name}</Link>
                </td>
                <td class="muted">{experiment.description}</td>
                <td>{formatDate(experiment.created_at)}</td>
                <td>{formatDate(experiment.last_run_created_at)}</td>
                <td>
                  <RecentRunStates experimentId={experiment.experiment_id} />
                </td>
                <td class="row-actions">
                  <button type="button" class="link-button" onClick={() => toggleArchive(experiment.experiment_id)}>
                    {archived ? "Restore" : "Archive"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list.data ? <Pager list={list} /> : null}
      {creating ? <CreateExperimentDialog onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

/** The states of an experiment's last five runs, newest first (as KFP's experiments list shows). */
function RecentRunStates({ experimentId }: { experimentId: string }) {
  const runs = useLoad(
    () => listRuns({ pageSize: 5, sortBy: "created_at desc", params: { experiment_id: experimentId } }),
    `recent:${experimentId}`,
  );
  const items = runs.data?.items ?? [];
  if (!runs.data) return null;
  if (!items.length) return <span class="muted">none</span>;
  const summary = items.map((run) => stateLabel(run.state)).join(", ");
  return (
    <span class="recent-states" role="img" aria-label={`Last ${items.length} runs, newest first: ${summary}`}>
      {items.map((run) => (
        <span key={run.run_id} class={`recent-state ${stateClass(run.state)}`} title={`${run.display_name ?? run.run_id}: ${stateLabel(run.state)}`}>
          {stateIcon(run.state)}
        </span>
      ))}
    </span>
  );
}

function CreateExperimentDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) return setError("Give the experiment a name.");
    try {
      const created = await createExperiment(name.trim(), description);
      onClose();
      navigate(`/experiments/${created.experiment_id}`);
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  return (
    <Dialog title="Create an experiment" onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <label>
          Name
          <input type="text" value={name} required onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        <label>
          Description
          <textarea rows={2} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
        </label>
        {error ? <ErrorBox message={error} /> : null}
        <div class="form-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}
