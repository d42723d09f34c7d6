import { describe, expect, it } from "vitest";
import type { LineageGraph } from "../src/api/lineage";
import { emptyModel, layoutLineage, mergeLineage, nodeLabel } from "../src/lib/lineage";

const when = "2026-12-01T00:00:00Z";
const artifact = (id: string, type = "system.Dataset") => ({
  id,
  name: id,
  display_name: "",
  type,
  uri: `s3://b/${id}`,
  state: "LIVE",
  metadata: {},
  created_at: when,
});
const execution = (id: string, state = "COMPLETE") => ({
  id,
  name: id,
  type: "system.ContainerExecution",
  state,
  run_id: "run-1",
  task_id: null,
  created_at: when,
});

// data → train → model → evaluate
const first: LineageGraph = {
  center: "artifact:model",
  direction: "both",
  depth: 2,
  artifacts: [artifact("data"), artifact("model", "system.Model")],
  executions: [execution("train"), execution("evaluate")],
  edges: [
    { execution_id: "train", artifact_id: "data", type: "INPUT", key: "data" },
    { execution_id: "train", artifact_id: "model", type: "OUTPUT", key: "model" },
    { execution_id: "evaluate", artifact_id: "model", type: "INPUT", key: "model" },
  ],
  truncated: false,
};

describe("lineage model", () => {
  it("turns INPUT edges into artifact → execution and OUTPUT edges into execution → artifact", () => {
    const model = mergeLineage(emptyModel("artifact:model"), first, "artifact:model");
    expect([...model.edges.values()].map((edge) => `${edge.from}>${edge.to}`).sort()).toEqual([
      "artifact:data>execution:train",
      "artifact:model>execution:evaluate",
      "execution:train>artifact:model",
    ]);
    expect(model.expanded).toEqual(new Set(["artifact:model"]));
  });

  it("keeps what it had when a node is expanded, and remembers the expansion", () => {
    const model = mergeLineage(emptyModel("artifact:model"), first, "artifact:model");
    const more: LineageGraph = {
      ...first,
      center: "execution:evaluate",
      artifacts: [artifact("scores", "system.Metrics")],
      executions: [execution("evaluate")],
      edges: [{ execution_id: "evaluate", artifact_id: "scores", type: "OUTPUT", key: "scores" }],
      truncated: true,
    };
    const grown = mergeLineage(model, more, "execution:evaluate");
    expect(grown.nodes.size).toBe(5);
    expect(grown.edges.size).toBe(4);
    expect(grown.expanded).toEqual(new Set(["artifact:model", "execution:evaluate"]));
    expect(grown.truncated).toBe(true);
    expect(model.nodes.size).toBe(4); // the earlier model is not changed
  });

  it("lays upstream out to the left of downstream", () => {
    const placed = layoutLineage(mergeLineage(emptyModel("artifact:model"), first, "artifact:model"));
    const x = Object.fromEntries(placed.nodes.map((node) => [node.node.key, node.x]));
    expect(x["artifact:data"]!).toBeLessThan(x["execution:train"]!);
    expect(x["execution:train"]!).toBeLessThan(x["artifact:model"]!);
    expect(x["artifact:model"]!).toBeLessThan(x["execution:evaluate"]!);
    expect(placed.edges.every((edge) => edge.points.length >= 2)).toBe(true);
  });

  it("lays out a thousand readers of one dataset in columns, quickly and without overlaps", () => {
    const readers = Array.from({ length: 1000 }, (_, index) => `work-${index}`);
    const big: LineageGraph = {
      center: "artifact:data",
      direction: "both",
      depth: 2,
      artifacts: [artifact("data"), ...readers.map((name) => artifact(`${name}-out`))],
      executions: [execution("prepare"), ...readers.map((name) => execution(name))],
      edges: [
        { execution_id: "prepare", artifact_id: "data", type: "OUTPUT", key: "data" },
        ...readers.flatMap((name) => [
          { execution_id: name, artifact_id: "data", type: "INPUT" as const, key: "data" },
          { execution_id: name, artifact_id: `${name}-out`, type: "OUTPUT" as const, key: "out" },
        ]),
      ],
      truncated: false,
    };
    const started = performance.now();
    const placed = layoutLineage(mergeLineage(emptyModel("artifact:data"), big, "artifact:data"));
    expect(performance.now() - started).toBeLessThan(500);
    const x = Object.fromEntries(placed.nodes.map((node) => [node.node.key, node.x]));
    expect(x["execution:prepare"]!).toBeLessThan(x["artifact:data"]!);
    expect(x["artifact:data"]!).toBeLessThan(x["execution:work-7"]!);
    expect(x["execution:work-7"]!).toBeLessThan(x["artifact:work-7-out"]!);
    const spots = new Set(placed.nodes.map((node) => `${node.x},${node.y}`));
    expect(spots.size).toBe(placed.nodes.length);
    expect(placed.nodes.every((node) => node.x + 200 <= placed.width && node.y >= 0 && node.y <= placed.height)).toBe(true);
  });

  it("labels a cached execution with its state", () => {
    const label = nodeLabel({ key: "execution:x", kind: "execution", execution: execution("train", "CACHED") });
    expect(label).toEqual({ title: "train", subtitle: "ContainerExecution · cached" });
  });
});
