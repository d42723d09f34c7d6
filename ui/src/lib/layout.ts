// Positions for a (nested) graph: each expanded group is laid out first, then placed as one big node.

import dagre from "@dagrejs/dagre";
import type { SpecNode, SpecScope } from "./graph";

export const NODE_WIDTH = 184;
export const NODE_HEIGHT = 44;
export const GROUP_PADDING = 14;
const NODE_GAP = 28;
const RANK_GAP = 44;
// dagre's crossing minimisation grows fast; beyond this many nodes a scope gets the plain layered layout.
const DAGRE_NODE_LIMIT = 150;
const GRID_COLUMNS = 8;

export interface Point {
  x: number;
  y: number;
}

export interface LaidNode {
  node: SpecNode;
  /** Top-left corner, relative to the enclosing scope. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** An expanded group's inner layout, drawn `header` pixels below the group's top. */
  inner?: LaidScope;
  header: number;
}

export interface LaidEdge {
  from: string;
  to: string;
  points: Point[];
}

export interface LaidScope {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  isExpanded(node: SpecNode): boolean;
  /** The narrowest an expanded group may be drawn (room for its header). */
  groupMinWidth(node: SpecNode): number;
  /** Height of an expanded group's header (title, iteration strip) for a given group width. */
  groupHeader(node: SpecNode, width: number): number;
}

export function layoutGraph(scope: SpecScope, options: LayoutOptions): LaidScope {
  const sized = scope.nodes.map((node) => sizeNode(node, options));
  const byKey = new Map(sized.map((laid) => [laid.node.key, laid]));
  const edges = scope.edges.filter((edge) => byKey.has(edge.from) && byKey.has(edge.to));
  return sized.length <= DAGRE_NODE_LIMIT ? dagreLayout(sized, edges) : layeredLayout(sized, edges, byKey);
}

function sizeNode(node: SpecNode, options: LayoutOptions): LaidNode {
  if (!node.children || !options.isExpanded(node)) {
    return { node, x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT, header: 0 };
  }
  const inner = layoutGraph(node.children, options);
  const width = Math.max(inner.width + 2 * GROUP_PADDING, NODE_WIDTH + 2 * GROUP_PADDING, options.groupMinWidth(node));
  const header = options.groupHeader(node, width);
  return { node, x: 0, y: 0, width, height: header + inner.height + GROUP_PADDING, inner, header };
}

function dagreLayout(nodes: LaidNode[], edges: { from: string; to: string }[]): LaidScope {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "TB", nodesep: NODE_GAP, ranksep: RANK_GAP, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const laid of nodes) graph.setNode(laid.node.key, { width: laid.width, height: laid.height });
  for (const edge of edges) graph.setEdge(edge.from, edge.to);
  dagre.layout(graph);
  for (const laid of nodes) {
    const placed = graph.node(laid.node.key);
    laid.x = placed.x - laid.width / 2;
    laid.y = placed.y - laid.height / 2;
  }
  const laidEdges = edges.map((edge) => ({
    ...edge,
    points: graph.edge(edge.from, edge.to).points.map((point: Point) => ({ x: point.x, y: point.y })),
  }));
  return withBounds(nodes, laidEdges);
}

/** Longest-path ranks, wide ranks wrapped into rows: linear time for scopes of thousands of tasks. */
function layeredLayout(
  nodes: LaidNode[],
  edges: { from: string; to: string }[],
  byKey: Map<string, LaidNode>,
): LaidScope {
  const rank = new Map<string, number>(nodes.map((laid) => [laid.node.key, 0]));
  const downstream = new Map<string, string[]>();
  const waiting = new Map<string, number>(nodes.map((laid) => [laid.node.key, 0]));
  for (const edge of edges) {
    downstream.set(edge.from, [...(downstream.get(edge.from) ?? []), edge.to]);
    waiting.set(edge.to, (waiting.get(edge.to) ?? 0) + 1);
  }
  const ready = nodes.filter((laid) => waiting.get(laid.node.key) === 0).map((laid) => laid.node.key);
  for (let index = 0; index < ready.length; index++) {
    const key = ready[index]!;
    for (const next of downstream.get(key) ?? []) {
      rank.set(next, Math.max(rank.get(next) ?? 0, (rank.get(key) ?? 0) + 1));
      const left = (waiting.get(next) ?? 1) - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  const ranks: LaidNode[][] = [];
  for (const laid of nodes) (ranks[rank.get(laid.node.key) ?? 0] ??= []).push(laid);
  let top = 0;
  for (const members of ranks) {
    if (!members) continue;
    for (let start = 0; start < members.length; start += GRID_COLUMNS) {
      const row = members.slice(start, start + GRID_COLUMNS);
      let left = 0;
      for (const laid of row) {
        laid.x = left;
        laid.y = top;
        left += laid.width + NODE_GAP;
      }
      top += Math.max(...row.map((laid) => laid.height)) + NODE_GAP;
    }
    top += RANK_GAP - NODE_GAP;
  }
  const laidEdges = edges.map((edge) => {
    const from = byKey.get(edge.from)!;
    const to = byKey.get(edge.to)!;
    return {
      ...edge,
      points: [
        { x: from.x + from.width / 2, y: from.y + from.height },
        { x: to.x + to.width / 2, y: to.y },
      ],
    };
  });
  return withBounds(nodes, laidEdges);
}

/** Moves everything so the drawing starts at (0, 0) (dagre may route edges left of the first node). */
function withBounds(nodes: LaidNode[], edges: LaidEdge[]): LaidScope {
  const points = edges.flatMap((edge) => edge.points);
  const left = Math.min(0, ...nodes.map((laid) => laid.x), ...points.map((point) => point.x));
  const top = Math.min(0, ...nodes.map((laid) => laid.y), ...points.map((point) => point.y));
  for (const laid of nodes) {
    laid.x -= left;
    laid.y -= top;
  }
  for (const point of points) {
    point.x -= left;
    point.y -= top;
  }
  const width = Math.max(0, ...nodes.map((laid) => laid.x + laid.width), ...points.map((point) => point.x));
  const height = Math.max(0, ...nodes.map((laid) => laid.y + laid.height), ...points.map((point) => point.y));
  return { nodes, edges, width, height };
}
