// A run's task details, indexed so the spec graph can show each task's live state.

import type { RuntimeState, TaskDetail } from "../api/types";
import { ROOT_KEY } from "./graph";

export interface RunTask {
  detail: TaskDetail;
  id: string;
  /** Where the task sits in the run, e.g. "root/for-loop-2/3/train" (iteration 3 of for-loop-2). */
  path: string;
  /** The same place in the spec graph, iteration indices left out: "root/for-loop-2/train". */
  specKey: string;
  kind: string;
  state: RuntimeState;
  iterationIndex?: number;
  cached: boolean;
}

export interface RunIndex {
  byPath: Map<string, RunTask>;
  byId: Map<string, RunTask>;
  /** A loop's iterations by the loop's run path, in index order. */
  iterations: Map<string, RunTask[]>;
}

const ITERATION = "loop_iteration";

export function indexRunTasks(details: TaskDetail[]): RunIndex {
  const detailsById = new Map(details.map((detail) => [detail.task_id, detail]));
  const byId = new Map<string, RunTask>();
  const resolve = (detail: TaskDetail, depth: number): RunTask => {
    const known = byId.get(detail.task_id);
    if (known) return known;
    const parentDetail = detail.parent_task_id ? detailsById.get(detail.parent_task_id) : undefined;
    // The depth bound guards against a parent cycle in malformed data.
    const parent = parentDetail && depth < 64 ? resolve(parentDetail, depth + 1) : undefined;
    const name = detail.name ?? detail.display_name ?? detail.task_id;
    const kind = detail.kind ?? "container";
    const path = detail.path ?? (parent ? `${parent.path}/${name}` : ROOT_KEY);
    const last = path.slice(path.lastIndexOf("/") + 1);
    const task: RunTask = {
      detail,
      id: detail.task_id,
      path,
      specKey: parent ? (kind === ITERATION ? parent.specKey : `${parent.specKey}/${last}`) : ROOT_KEY,
      kind,
      state: detail.state ?? "PENDING",
      cached: Boolean(detail.cached_from_task_id),
    };
    if (kind === ITERATION && /^\d+$/.test(last)) task.iterationIndex = Number(last);
    byId.set(task.id, task);
    return task;
  };
  for (const detail of details) resolve(detail, 0);
  const byPath = new Map<string, RunTask>();
  const iterations = new Map<string, RunTask[]>();
  for (const task of byId.values()) {
    byPath.set(task.path, task);
    if (task.iterationIndex !== undefined) {
      const loopPath = task.path.slice(0, task.path.lastIndexOf("/"));
      const list = iterations.get(loopPath);
      if (list) list.push(task);
      else iterations.set(loopPath, [task]);
    }
  }
  for (const list of iterations.values()) list.sort((a, b) => a.iterationIndex! - b.iterationIndex!);
  return { byPath, byId, iterations };
}

/** Which iteration to show for each loop (by the loop's spec key); loops not listed show `defaultIteration`. */
export type IterationSelection = ReadonlyMap<string, number>;

/**
 * The run path of a spec node, given which iteration of each enclosing loop is shown.
 * `loopKeys` are the spec keys of the pipeline's loops.
 */
export function runPathOf(
  specKey: string,
  loopKeys: ReadonlySet<string>,
  selection: IterationSelection,
  index: RunIndex,
): string {
  const parts = specKey.split("/");
  let specPrefix = parts[0]!;
  let runPath = specPrefix;
  for (const part of parts.slice(1)) {
    if (loopKeys.has(specPrefix)) runPath += `/${shownIteration(specPrefix, runPath, selection, index)}`;
    specPrefix += `/${part}`;
    runPath += `/${part}`;
  }
  return runPath;
}

/** The iteration shown for a loop: the one chosen, else the default. */
export function shownIteration(
  loopKey: string,
  loopRunPath: string,
  selection: IterationSelection,
  index: RunIndex,
): number {
  return selection.get(loopKey) ?? defaultIteration(index.iterations.get(loopRunPath));
}

/** The iteration worth looking at first: a failed one, else a running one, else the first. */
export function defaultIteration(iterations: RunTask[] | undefined): number {
  if (!iterations?.length) return 0;
  const pick =
    iterations.find((task) => task.state === "FAILED") ?? iterations.find((task) => task.state === "RUNNING");
  return (pick ?? iterations[0]!).iterationIndex ?? 0;
}

export function countStates(tasks: Iterable<RunTask>): Partial<Record<RuntimeState, number>> {
  const counts: Partial<Record<RuntimeState, number>> = {};
  for (const task of tasks) counts[task.state] = (counts[task.state] ?? 0) + 1;
  return counts;
}
