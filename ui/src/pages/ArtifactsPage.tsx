// Artifacts and executions: every output runs recorded, newest first, filtered and paged by the server.

import { useState } from "preact/hooks";
import { type ArtifactSummary, type ExecutionSummary, listArtifacts, listExecutions } from "../api/lineage";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { SearchBox } from "../components/SearchBox";
import { useDebounced, useLoad } from "../hooks";
import { formatDate } from "../lib/format";
import { Link } from "../router";

const PAGE_SIZE = 25;
const ARTIFACT_TYPES = ["system.Model", "system.Dataset", "system.Metrics", "system.ClassificationMetrics", "system.HTML", "system.Markdown", "system.Artifact"];
const EXECUTION_STATES = ["COMPLETE", "CACHED", "FAILED"];

/** Pages by the server's next_page_token; going back pops the tokens seen. */
function useTokenPages(key: string) {
  const [tokens, setTokens] = useState<string[]>([""]);
  const [forKey, setForKey] = useState(key);
  if (forKey !== key) {
    setForKey(key);
    setTokens([""]);
  }
  const token = forKey === key ? tokens[tokens.length - 1]! : "";
  return {
    token,
    page: tokens.length,
    next: (nextToken: string) => setTokens([...tokens, nextToken]),
    previous: () => setTokens(tokens.slice(0, -1)),
  };
}

function TokenPager({ page, nextToken, onNext, onPrevious }: { page: number; nextToken: string; onNext: () => void; onPrevious: () => void }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={page <= 1}>
        Previous
      </button>
      <span>Page {page}</span>
      <button type="button" onClick={onNext} disabled={!nextToken}>
        Next
      </button>
    </nav>
  );
}

export function ArtifactsPage() {
  const [search, setSearch] = useState("");
  const [type, setType] = useState("");
  const name = useDebounced(search.trim());
  const key = `${type}|${name}`;
  const pages = useTokenPages(key);
  const list = useLoad(() => listArtifacts({ type, name, page_size: PAGE_SIZE, page_token: pages.token }), `${key}|${pages.token}`);
  return (
    <section>
      <PageHeader title="Artifacts" />
      <div class="toolbar">
        <SearchBox value={search} onInput={setSearch} label="Search artifacts by name" />
        <label>
          Type{" "}
          <select value={type} onChange={(event) => setType(event.currentTarget.value)} aria-label="Artifact type">
            <option value="">All types</option>
            {ARTIFACT_TYPES.map((option) => (
              <option key={option} value={option}>
                {option.replace("system.", "")}
              </option>
            ))}
          </select>
        </label>
        <Link href="/executions">Executions</Link>
      </div>
      {list.error ? <ErrorBox message={list.error} onRetry={list.reload} /> : null}
      {!list.data && !list.error ? <Loading what="Loading artifacts" /> : null}
      {list.data && !list.data.artifacts.length ? <Empty>No artifact matches.</Empty> : null}
      {list.data?.artifacts.length ? <ArtifactTable artifacts={list.data.artifacts} /> : null}
      {list.data ? (
        <TokenPager page={pages.page} nextToken={list.data.next_page_token} onNext={() => pages.next(list.data!.next_page_token)} onPrevious={pages.previous} />
      ) : null}
    </section>
  );
}

function ArtifactTable({ artifacts }: { artifacts: ArtifactSummary[] }) {
  return (
    <table class="table" aria-label="Artifacts">
      <thead>
        <tr>
          <th>Name</th>
          <th>Type</th>
          <th>Produced by</th>
          <th>URI</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {artifacts.map((artifact) => (
          <tr key={artifact.id}>
            <td>
              <Link href={`/artifacts/${artifact.id}`}>{artifact.name || artifact.id}</Link>
            </td>
            <td>{artifact.type.replace("system.", "")}</td>
            <td>{artifact.run_id ? <Link href={`/runs/${artifact.run_id}`}>{artifact.task_path ?? artifact.run_id.slice(0, 8)}</Link> : <span class="muted">imported</span>}</td>
            <td>
              <code class="uri">{artifact.uri}</code>
            </td>
            <td>{formatDate(artifact.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ExecutionsPage() {
  const [search, setSearch] = useState("");
  const [state, setState] = useState("");
  const name = useDebounced(search.trim());
  const key = `${state}|${name}`;
  const pages = useTokenPages(key);
  const list = useLoad(() => listExecutions({ state, name, page_size: PAGE_SIZE, page_token: pages.token }), `${key}|${pages.token}`);
  return (
    <section>
      <PageHeader title="Executions" />
      <div class="toolbar">
        <SearchBox value={search} onInput={setSearch} label="Search executions by task name" />
        <label>
          State{" "}
          <select value={state} onChange={(event) => setState(event.currentTarget.value)} aria-label="Execution state">
            <option value="">All states</option>
            {EXECUTION_STATES.map((option) => (
              <option key={option} value={option}>
                {option.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <Link href="/artifacts">Artifacts</Link>
      </div>
      {list.error ? <ErrorBox message={list.error} onRetry={list.reload} /> : null}
      {!list.data && !list.error ? <Loading what="Loading executions" /> : null}
      {list.data && !list.data.executions.length ? <Empty>No execution matches.</Empty> : null}
      {list.data?.executions.length ? <ExecutionTable executions={list.data.executions} /> : null}
      {list.data ? (
        <TokenPager page={pages.page} nextToken={list.data.next_page_token} onNext={() => pages.next(list.data!.next_page_token)} onPrevious={pages.previous} />
      ) : null}
    </section>
  );
}

function ExecutionTable({ executions }: { executions: ExecutionSummary[] }) {
  return (
    <table class="table" aria-label="Executions">
      <thead>
        <tr>
          <th>Task</th>
          <th>Type</th>
          <th>State</th>
          <th>Run</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {executions.map((execution) => (
          <tr key={execution.id}>
            <td>
              <Link href={`/executions/${execution.id}`}>{execution.name || execution.id}</Link>
            </td>
            <td>{execution.type.replace("system.", "")}</td>
            <td>{execution.state.toLowerCase()}</td>
            <td>{execution.run_id ? <Link href={`/runs/${execution.run_id}`}>{execution.run_id.slice(0, 8)}</Link> : null}</td>
            <td>{formatDate(execution.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
