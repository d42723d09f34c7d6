import { getQueue, type QueuedTask } from "../api/client";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { useLoad } from "../hooks";
import { Link } from "../router";

const POLL_MS = 1000;

function resources(task: QueuedTask): string {
  const parts: string[] = [];
  if (task.gpus) parts.push(`${task.gpus} GPU`);
  if (task.cpu) parts.push(`${task.cpu} CPU`);
  if (task.memory_bytes) parts.push(`${(task.memory_bytes / 2 ** 30).toFixed(1)} GiB`);
  return parts.join(", ") || "–";
}

/** What runs and what waits on the server's GPUs, per namespace and user, live. */
export function QueuePage() {
  const queue = useLoad(getQueue, "queue", { pollMs: POLL_MS, poll: () => true });
  const capacity = queue.data?.capacity;
  return (
    <section>
      <PageHeader title="Queue" />
      <p class="muted intro">
        Tasks running and waiting for the server's GPUs, CPUs and memory. The next task is chosen fairly across
        namespaces (the one holding the smallest share goes first), first come first served within one.
      </p>
      {capacity ? (
        <p class="queue-capacity">
          GPUs: <strong>{capacity.gpus_free}</strong> of {capacity.gpus} free
        </p>
      ) : null}
      {queue.error && !queue.data ? <ErrorBox message={queue.error} onRetry={queue.reload} /> : null}
      {!queue.data && !queue.error ? <Loading what="Loading the queue" /> : null}
      {queue.data && !queue.data.namespaces.length ? <Empty>Nothing running or waiting.</Empty> : null}
      {queue.data?.namespaces.map((group) => (
        <article key={`${group.namespace}/${group.user}`} class="queue-group" aria-label={`Queue of ${group.namespace}`}>
          <h2>
            {group.namespace || "(no namespace)"} <span class="muted">{group.user}</span>
          </h2>
          <table class="table">
            <thead>
              <tr>
                <th>State</th>
                <th>Task</th>
                <th>Run</th>
                <th>Resources</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {group.running.map((task) => (
                <tr key={`r-${task.run_id}-${task.task}`} data-state="running">
                  <td>running</td>
                  <td>{task.task}</td>
                  <td>
                    <Link href={`/runs/${task.run_id}`}>{task.run_id.slice(0, 8)}</Link>
                  </td>
                  <td>
                    {resources(task)}
                    {task.gpu_indices?.length ? <span class="muted"> (GPU {task.gpu_indices.join(", ")})</span> : null}
                  </td>
                  <td />
                </tr>
              ))}
              {group.pending.map((task) => (
                <tr key={`p-${task.run_id}-${task.task}`} data-state="pending">
                  <td>pending{task.position ? ` #${task.position}` : ""}</td>
                  <td>{task.task}</td>
                  <td>
                    <Link href={`/runs/${task.run_id}`}>{task.run_id.slice(0, 8)}</Link>
                  </td>
                  <td>{resources(task)}</td>
                  <td class="queue-reason">{task.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}
