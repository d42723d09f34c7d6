import { describe, expect, it } from "vitest";
import type { TaskDetail } from "../src/api/types";
import { countStates, defaultIteration, indexRunTasks, runPathOf } from "../src/lib/runTasks";

function task(id: string, parent: string | undefined, name: string, kind: string, state: TaskDetail["state"]): TaskDetail {
  const detail: TaskDetail = { task_id: id, name, kind, state };
  if (parent) detail.parent_task_id = parent;
  return detail;
}

// root → for-loop-1 (2 iterations) → train; and a task after the loop.
const details: TaskDetail[] = [
  task("r", undefined, "root", "dag", "RUNNING"),
  task("l", "r", "for-loop-1", "loop", "RUNNING"),
  task("i0", "l", "0", "loop_iteration", "SUCCEEDED"),
  task("i1", "l", "1", "loop_iteration", "RUNNING"),
  task("t0", "i0", "train", "container", "SUCCEEDED"),
  task("t1", "i1", "train", "container", "RUNNING"),
  { ...task("c", "r", "report", "container", "SUCCEEDED"), cached_from_task_id: "old" },
];

describe("indexRunTasks", () => {
  it("rebuilds run paths and spec keys from parent links", () => {
    const index = indexRunTasks(details);
    expect(index.byPath.get("root/for-loop-1/1/train")!.id).toBe("t1");
    expect(index.byId.get("t1")!.specKey).toBe("root/for-loop-1/train");
    expect(index.byId.get("i1")!.specKey).toBe("root/for-loop-1");
    expect(index.iterations.get("root/for-loop-1")!.map((item) => item.iterationIndex)).toEqual([0, 1]);
    expect(index.byId.get("c")!.cached).toBe(true);
  });

  it("prefers the path the server gives", () => {
    const index = indexRunTasks([{ ...task("x", undefined, "root", "dag", "PENDING"), path: "root" }]);
    expect(index.byPath.has("root")).toBe(true);
  });

  it("does not loop forever on a parent cycle", () => {
    const index = indexRunTasks([task("a", "b", "a", "dag", "PENDING"), task("b", "a", "b", "dag", "PENDING")]);
    expect(index.byId.size).toBe(2);
  });
});

describe("runPathOf", () => {
  const index = indexRunTasks(details);
  const loops = new Set(["root/for-loop-1"]);

  it("shows the running iteration by default, or the one chosen", () => {
    expect(runPathOf("root/for-loop-1/train", loops, new Map(), index)).toBe("root/for-loop-1/1/train");
    expect(runPathOf("root/for-loop-1/train", loops, new Map([["root/for-loop-1", 0]]), index)).toBe(
      "root/for-loop-1/0/train",
    );
    expect(runPathOf("root/for-loop-1", loops, new Map(), index)).toBe("root/for-loop-1");
    expect(runPathOf("root/report", loops, new Map(), index)).toBe("root/report");
  });

  it("prefers a failed iteration, then a running one", () => {
    const iterations = index.iterations.get("root/for-loop-1")!;
    expect(defaultIteration(iterations)).toBe(1);
    expect(defaultIteration([{ ...iterations[0]!, state: "FAILED" }, iterations[1]!])).toBe(0);
    expect(defaultIteration(undefined)).toBe(0);
  });

  it("counts states", () => {
    expect(countStates(index.byId.values())).toEqual({ RUNNING: 4, SUCCEEDED: 3 });
  });
});
