// The lineage explorer's model: graphs merged as the user expands nodes, laid out left (upstream) to right.

import dagre from "@dagrejs/dagre";
import type { ArtifactSummary, ExecutionSummary, LineageGraph } from "../api/lineage";

export const LINEAGE_NODE_WIDTH = 200;
export const LINEAGE_NODE_HEIGHT = 48;

export type LineageNodeKey = `artifact:${string}` | `execution:${string}`;

export type LineageNode =
  | { key: LineageNodeKey; kind: "artifact"; artifact: ArtifactSummary }
  | { key: LineageNodeKey; kind: "execution"; execution: ExecutionSummary };

export interface LineageModel {
  center: string;
  nodes: Map<string, LineageNode>;
  /** from → to: artifact → execution for an input, execution → artifact for an output. */
  edges: Map<string, { from: string; to: string; label: string }>;
  /** Nodes whose neighbours were fetched already. */
  expanded: Set<string>;
  truncated: boolean;
}

export function emptyModel(center: string): LineageModel {
  return { center, nodes: new Map(), edges: new Map(), expanded: new Set(), truncated: false };
}

/** The model with `graph` (fetched around `around`) added; nothing already there is lost. */
export function mergeLineage(model: LineageModel, graph: LineageGraph, around: string): LineageModel {
  const nodes = new Map(model.nodes);
  const edges = new Map(model.edges);
  for (const artifact of graph.artifacts) nodes.set(`artifact:${artifact.id}`, { key: `artifact:${artifact.id}`, kind: "artifact", artifact });
  for (const execution of graph.executions) {
    nodes.set(`execution:${execution.id}`, { key: `execution:${execution.id}`, kind: "execution", execution });
  }
  for (const edge of graph.edges) {
    const artifact = `artifact:${edge.artifact_id}`;
    const execution = `execution:${edge.execution_id}`;
    const [from, to] = edge.type === "INPUT" ? [artifact, execution] : [execution, artifact];
    edges.set(`${from}->${to}`, { from, to, label: edge.key });
  }
  return {
    center: model.center,
    nodes,
    edges,
    expanded: new Set([...model.expanded, around]),
    truncated: model.truncated || graph.truncated,
  };
}

export interface PlacedNode {
  node: LineageNode;
  x: number;
  y: number;
}

export interface PlacedLineage {
  nodes: PlacedNode[];
  edges: { from: string; to: string; label: string; points: { x: number; y: number }[] }[];
  width: number;
  height: number;
}

/** Positions (top-left corners) for every node, upstream on the left. */
// dagre's crossing minimisation grows steeply with size: past this many nodes, a plain layered layout.
const DAGRE_NODE_LIMIT = 300;
const RANK_GAP = 56;
const NODE_GAP = 18;
const MARGIN = 8;

export function layoutLineage(model: LineageModel): PlacedLineage {
  if (model.nodes.size > DAGRE_NODE_LIMIT) return layeredLineage(model);
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const key of model.nodes.keys()) graph.setNode(key, { width: LINEAGE_NODE_WIDTH, height: LINEAGE_NODE_HEIGHT });
  for (const edge of model.edges.values()) {
    if (model.nodes.has(edge.from) && model.nodes.has(edge.to)) graph.setEdge(edge.from, edge.to);
  }
  dagre.layout(graph);
  const nodes: PlacedNode[] = [];
  for (const [key, node] of model.nodes) {
    const placed = graph.node(key);
    nodes.push({ node, x: placed.x - LINEAGE_NODE_WIDTH / 2, y: placed.y - LINEAGE_NODE_HEIGHT / 2 });
  }
  const edges = [...model.edges.values()]
    .filter((edge) => model.nodes.has(edge.from) && model.nodes.has(edge.to))
    .map((edge) => ({ ...edge, points: graph.edge(edge.from, edge.to)?.points ?? [] }));
  const size = graph.graph();
  return { nodes, edges, width: size.width ?? 0, height: size.height ?? 0 };
}

/**
 * Left to right by longest path from the sources (upstream on the left), each column stacked in the order the
 * nodes arrived; edges straight from a node's right side to the next one's left. Linear in nodes and edges.
 */
function layeredLineage(model: LineageModel): PlacedLineage {
  const keys = [...model.nodes.keys()];
  const edges = [...model.edges.values()].filter((edge) => model.nodes.has(edge.from) && model.nodes.has(edge.to));
  const outgoing = new Map<string, string[]>();
  const incoming = new Map<string, number>(keys.map((key) => [key, 0]));
  for (const edge of edges) {
    outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge.to]);
    incoming.set(edge.to, (incoming.get(edge.to) ?? 0) + 1);
  }
  const rank = new Map<string, number>(keys.map((key) => [key, 0]));
  const queue = keys.filter((key) => incoming.get(key) === 0);
  for (let index = 0; index < queue.length; index++) {
    const key = queue[index]!;
    for (const next of outgoing.get(key) ?? []) {
      rank.set(next, Math.max(rank.get(next)!, rank.get(key)! + 1));
      const left = incoming.get(next)! - 1;
      incoming.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  // Lineage is acyclic; a cycle would leave nodes unvisited: they keep rank 0 rather than hang the page.
  const columns: string[][] = [];
  for (const key of keys) (columns[rank.get(key)!] ??= []).push(key);
  const tallest = Math.max(...columns.map((column) => column?.length ?? 0));
  const height = tallest * (LINEAGE_NODE_HEIGHT + NODE_GAP) - NODE_GAP + 2 * MARGIN;
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, index) => {
    const top = MARGIN + (height - 2 * MARGIN - (column.length * (LINEAGE_NODE_HEIGHT + NODE_GAP) - NODE_GAP)) / 2;
    column.forEach((key, row) => {
      position.set(key, { x: MARGIN + index * (LINEAGE_NODE_WIDTH + RANK_GAP), y: top + row * (LINEAGE_NODE_HEIGHT + NODE_GAP) });
    });
  });
  const nodes = keys.map((key) => ({ node: model.nodes.get(key)!, ...position.get(key)! }));
  const placedEdges = edges.map((edge) => {
    const from = position.get(edge.from)!;
    const to = position.get(edge.to)!;
    return {
      ...edge,
      points: [
        { x: from.x + LINEAGE_NODE_WIDTH, y: from.y + LINEAGE_NODE_HEIGHT / 2 },
        { x: to.x, y: to.y + LINEAGE_NODE_HEIGHT / 2 },
      ],
    };
  });
  const width = columns.length * (LINEAGE_NODE_WIDTH + RANK_GAP) - RANK_GAP + 2 * MARGIN;
  return { nodes, edges: placedEdges, width, height };
}

/** The words on a node: the artifact's name and type, or the task's name and state. */
export function nodeLabel(node: LineageNode): { title: string; subtitle: string } {
  if (node.kind === "artifact") return { title: node.artifact.name || node.artifact.id, subtitle: node.artifact.type };
  const execution = node.execution;
  return { title: execution.name || execution.id, subtitle: `${execution.type.replace("system.", "")} · ${execution.state.toLowerCase()}` };
}

/** The page of a node: an artifact's or an execution's details. */
export function nodePage(node: LineageNode): string {
  return node.kind === "artifact" ? `/artifacts/${node.artifact.id}` : `/executions/${node.execution.id}`;
}
