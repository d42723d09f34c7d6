import { describe, expect, it } from "vitest";
import { allNodes, buildSpecGraph, type SpecScope } from "../src/lib/graph";
import { GROUP_PADDING, layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "../src/lib/layout";
import type { PipelineSpec } from "../src/lib/spec";
import { goldenSpec } from "./golden";

function keys(scope: SpecScope): string[] {
  return scope.nodes.map((node) => node.key).sort();
}

describe("buildSpecGraph", () => {
  it("draws a flat pipeline's tasks with edges from dependencies and data", () => {
    const graph = buildSpecGraph(goldenSpec("training"));
    expect(keys(graph)).toEqual([
      "root/evaluate-model",
      "root/make-dataset",
      "root/split-dataset",
      "root/train-model",
      "root/write-report",
    ]);
    expect(graph.edges).toContainEqual({ from: "root/split-dataset", to: "root/train-model" });
    expect(graph.edges).toContainEqual({ from: "root/train-model", to: "root/evaluate-model" });
    expect(graph.nodes.every((node) => node.kind === "container" && !node.children)).toBe(true);
  });

  it("draws output artifacts as nodes between their producer and consumers on request", () => {
    const graph = buildSpecGraph(goldenSpec("training"), { artifacts: true });
    const artifacts = graph.nodes.filter((node) => node.kind === "artifact").map((node) => node.key);
    expect(artifacts).toContain("root/train-model#model");
    expect(artifacts).toContain("root/split-dataset#train");
    expect(graph.edges).toContainEqual({ from: "root/train-model", to: "root/train-model#model" });
    expect(graph.edges).toContainEqual({ from: "root/train-model#model", to: "root/evaluate-model" });
    expect(graph.edges).toContainEqual({ from: "root/split-dataset#train", to: "root/train-model" });
    // The task-to-task edge that only carried the artifact is gone; the plain graph keeps it.
    expect(graph.edges).not.toContainEqual({ from: "root/train-model", to: "root/evaluate-model" });
    expect(buildSpecGraph(goldenSpec("training")).nodes.some((node) => node.kind === "artifact")).toBe(false);
  });

  it("nests loops inside loops, with what each iterates over", () => {
    const graph = buildSpecGraph(goldenSpec("nested_loops"));
    const outer = graph.nodes.find((node) => node.taskName === "for-loop-1")!;
    expect(outer.kind).toBe("loop");
    expect(outer.detail).toMatch(/^for each in /);
    const inner = outer.children!.nodes.find((node) => node.taskName === "for-loop-2")!;
    expect(inner.kind).toBe("loop");
    expect(inner.key).toBe("root/for-loop-1/for-loop-2");
    expect(keys(inner.children!)).toEqual(["root/for-loop-1/for-loop-2/score-fold"]);
    expect(outer.children!.edges).toContainEqual({
      from: "root/for-loop-1/make-folds",
      to: "root/for-loop-1/for-loop-2",
    });
    expect(graph.edges).toContainEqual({ from: "root/for-loop-1", to: "root/pick-learning-rate" });
  });

  it("tells conditions, branch groups and exit handlers apart", () => {
    const flow = buildSpecGraph(goldenSpec("control_flow"));
    const kinds = Object.fromEntries([...allNodes(flow)].map((node) => [node.key, node.kind]));
    expect(kinds["root/condition-6"]).toBe("condition");
    expect(kinds["root/condition-branches-1"]).toBe("branches");
    expect(kinds["root/condition-branches-1/condition-3/condition-2"]).toBe("condition");
    const condition = [...allNodes(flow)].find((node) => node.key === "root/condition-6")!;
    expect(condition.detail).toContain("== 'audit'");

    const exit = buildSpecGraph(goldenSpec("exit_handler"));
    expect(exit.nodes.find((node) => node.taskName === "exit-handler-1")!.kind).toBe("exit_handler");
    expect(exit.edges).toContainEqual({ from: "root/exit-handler-1", to: "root/report-outcome" });
  });

  it("expands a nested pipeline once per use", () => {
    const graph = buildSpecGraph(goldenSpec("nested_pipeline"));
    const nested = graph.nodes.filter((node) => node.kind === "dag");
    expect(nested.map((node) => node.key).sort()).toEqual(["root/ingest-sensor", "root/ingest-sensor-2"]);
    expect(keys(nested[0]!.children!)).toHaveLength(2);
  });

  it("survives a component that contains itself", () => {
    const spec: PipelineSpec = {
      root: { dag: { tasks: { loop: { componentRef: { name: "comp-self" } } } } },
      components: { "comp-self": { dag: { tasks: { again: { componentRef: { name: "comp-self" } } } } } },
    };
    const graph = buildSpecGraph(spec);
    const again = graph.nodes[0]!.children!.nodes[0]!;
    expect(again.key).toBe("root/loop/again");
    expect(again.children).toBeUndefined();
  });
});

describe("layoutGraph", () => {
  const expandAll = { isExpanded: () => true, groupMinWidth: () => 0, groupHeader: () => 30 };

  it("places every node without overlaps, and expanded groups around their children", () => {
    const graph = buildSpecGraph(goldenSpec("nested_loops"));
    const laid = layoutGraph(graph, expandAll);
    const outer = laid.nodes.find((node) => node.node.taskName === "for-loop-1")!;
    expect(outer.inner).toBeDefined();
    expect(outer.width).toBeGreaterThanOrEqual(outer.inner!.width);
    expect(outer.height).toBeGreaterThanOrEqual(outer.inner!.height + outer.header);
    const wide = layoutGraph(graph, { ...expandAll, groupMinWidth: (node) => (node.kind === "loop" ? 700 : 0) });
    const wideOuter = wide.nodes.find((node) => node.node.taskName === "for-loop-1")!;
    const wideInner = wideOuter.inner!.nodes.find((node) => node.node.taskName === "for-loop-2")!;
    expect(wideInner.width).toBe(700);
    expect(wideOuter.width).toBe(700 + 2 * GROUP_PADDING);
    const pick = laid.nodes.find((node) => node.node.taskName === "pick-learning-rate")!;
    expect(pick.y).toBeGreaterThanOrEqual(outer.y + outer.height);
    expect(laid.edges).toHaveLength(1);
  });

  it("draws collapsed groups as plain nodes", () => {
    const laid = layoutGraph(buildSpecGraph(goldenSpec("nested_loops")), { isExpanded: () => false, groupMinWidth: () => 0, groupHeader: () => 0 });
    expect(laid.nodes.every((node) => node.width === NODE_WIDTH && node.height === NODE_HEIGHT && !node.inner)).toBe(true);
  });

  it("lays out a scope of a thousand tasks quickly, downstream below upstream", () => {
    const tasks: NonNullable<NonNullable<PipelineSpec["root"]>["dag"]>["tasks"] = {};
    for (let index = 0; index < 1000; index++) {
      tasks[`t${index}`] = { componentRef: { name: "c" }, dependentTasks: index >= 10 ? [`t${index - 10}`] : [] };
    }
    const started = performance.now();
    const laid = layoutGraph(buildSpecGraph({ root: { dag: { tasks } }, components: { c: {} } }), expandAll);
    expect(performance.now() - started).toBeLessThan(500);
    const byName = new Map(laid.nodes.map((node) => [node.node.taskName, node]));
    expect(byName.get("t10")!.y).toBeGreaterThan(byName.get("t0")!.y);
    expect(laid.width).toBeLessThan(20 * NODE_WIDTH);
  });
});
