// A lineage graph centred on one artifact or execution; clicking (or Enter on) a node fetches its
// neighbours and adds them, and the panel beside it links to the node's page and its run.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { JSX } from "preact";
import { getLineage } from "../api/lineage";
import { errorText } from "../hooks";
import {
  LINEAGE_NODE_HEIGHT,
  LINEAGE_NODE_WIDTH,
  type LineageModel,
  type LineageNode,
  emptyModel,
  layoutLineage,
  mergeLineage,
  nodeLabel,
  nodePage,
} from "../lib/lineage";
import { Link } from "../router";
import { ErrorBox, Loading } from "./Messages";

/** Past this many nodes, only those in and near the canvas's view are drawn. */
const MANY_NODES = 300;
const VIEW_MARGIN = 400;

function visibleNodes<T extends { x: number; y: number }>(
  nodes: T[],
  view: { left: number; top: number; width: number; height: number },
): T[] {
  if (nodes.length <= MANY_NODES) return nodes;
  const left = view.left - VIEW_MARGIN;
  const right = view.left + view.width + VIEW_MARGIN;
  const top = view.top - VIEW_MARGIN;
  const bottom = view.top + view.height + VIEW_MARGIN;
  return nodes.filter((node) => node.x < right && node.x + LINEAGE_NODE_WIDTH > left && node.y < bottom && node.y + LINEAGE_NODE_HEIGHT > top);
}

/** Past this many edges they are drawn as one path. */
const MANY_EDGES = 400;

function centerQuery(key: string): { artifact?: string; execution?: string } {
  const [kind, id] = [key.slice(0, key.indexOf(":")), key.slice(key.indexOf(":") + 1)];
  return kind === "artifact" ? { artifact: id } : { execution: id };
}

export function LineageExplorer({ center }: { center: string }) {
  const [model, setModel] = useState<LineageModel>(() => emptyModel(center));
  const [selected, setSelected] = useState<string>(center);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string | undefined>(center);
  // What the scrolled canvas shows: big graphs draw only the nodes in and near it.
  const [view, setView] = useState({ left: 0, top: 0, width: 1200, height: 520 });
  const onScroll = (event: JSX.TargetedUIEvent<HTMLDivElement>) => {
    const canvas = event.currentTarget;
    setView({ left: canvas.scrollLeft, top: canvas.scrollTop, width: canvas.clientWidth, height: canvas.clientHeight });
  };

  const expand = (key: string) => {
    setSelected(key);
    if (model.expanded.has(key)) return;
    setBusy(key);
    getLineage(centerQuery(key), 2).then(
      (graph) => {
        setModel((current) => mergeLineage(current, graph, key));
        setBusy(undefined);
      },
      (failure: unknown) => {
        setError(errorText(failure));
        setBusy(undefined);
      },
    );
  };

  useEffect(() => {
    setModel(emptyModel(center));
    setSelected(center);
    setError(undefined);
    setBusy(center);
    getLineage(centerQuery(center), 2).then(
      (graph) => {
        setModel(mergeLineage(emptyModel(center), graph, center));
        setBusy(undefined);
      },
      (failure: unknown) => {
        setError(errorText(failure));
        setBusy(undefined);
      },
    );
  }, [center]);

  const placed = useMemo(() => layoutLineage(model), [model]);
  const canvas = useRef<HTMLDivElement>(null);
  const centred = useRef(false);
  // A big graph can be far taller than the canvas: start with the centre node in view.
  useEffect(() => {
    const element = canvas.current;
    const middle = placed.nodes.find((item) => item.node.key === center);
    if (!element || !middle || centred.current) return;
    centred.current = true;
    element.scrollTop = Math.max(0, middle.y - element.clientHeight / 2);
    element.scrollLeft = Math.max(0, middle.x - element.clientWidth / 2);
    setView({ left: element.scrollLeft, top: element.scrollTop, width: element.clientWidth, height: element.clientHeight });
  }, [placed, center]);
  if (error && !model.nodes.size) return <ErrorBox message={error} />;
  if (!model.nodes.size) return <Loading what="Loading the lineage" />;
  const chosen = model.nodes.get(selected);
  return (
    <div class="lineage">
      <div
        class="lineage-canvas"
        role="group"
        aria-label="Lineage graph: upstream on the left, downstream on the right"
        // Focusable, so the keyboard scrolls it (a big graph draws the nodes in view).
        tabIndex={0}
        ref={canvas}
        onScroll={onScroll}
      >
        <svg width={placed.width} height={placed.height} class="lineage-svg">
          <defs>
            <marker id="lineage-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L10,5 L0,10 z" class="lineage-arrowhead" />
            </marker>
          </defs>
          {placed.edges.length > MANY_EDGES ? (
            // Thousands of edges: one path (left to right, so arrowheads add nothing), not thousands of elements.
            <path
              class="lineage-edge"
              d={placed.edges.map((edge) => edge.points.map((point, index) => `${index ? "L" : "M"}${point.x},${point.y}`).join("")).join("")}
            />
          ) : null}
          {(placed.edges.length > MANY_EDGES ? [] : placed.edges).map((edge) => (
            <polyline
              key={`${edge.from}->${edge.to}`}
              class="lineage-edge"
              points={edge.points.map((point) => `${point.x},${point.y}`).join(" ")}
              marker-end="url(#lineage-arrow)"
            >
              <title>{edge.label}</title>
            </polyline>
          ))}
          {visibleNodes(placed.nodes, view).map(({ node, x, y }) => {
            const label = nodeLabel(node);
            const classes = [
              "lineage-node",
              `lineage-${node.kind}`,
              node.key === center ? "lineage-center" : "",
              node.key === selected ? "lineage-selected" : "",
              model.expanded.has(node.key) ? "" : "lineage-unexpanded",
            ].join(" ");
            return (
              <g
                key={node.key}
                class={classes}
                transform={`translate(${x},${y})`}
                tabindex={0}
                role="button"
                data-node={node.key}
                // The visible text, word for word, inside the name (WCAG 2.5.3); the full title when it is cut.
                aria-label={`${node.kind} ${shownTitle(label.title)} ${label.subtitle}${
                  shownTitle(label.title) === label.title ? "" : ` (${label.title})`
                }${model.expanded.has(node.key) ? "" : " (press to expand)"}`}
                onClick={() => expand(node.key)}
                onKeyDown={(event) => {
                  if (event.key === "Enter" || event.key === " ") {
                    event.preventDefault();
                    expand(node.key);
                  }
                }}
              >
                <rect width={LINEAGE_NODE_WIDTH} height={LINEAGE_NODE_HEIGHT} rx={node.kind === "artifact" ? 4 : 16} />
                <text>
                  <tspan x={10} y={20} class="lineage-title">
                    {shownTitle(label.title)}
                  </tspan>{" "}
                  <tspan x={10} y={37} class="lineage-subtitle">
                    {label.subtitle}
                  </tspan>
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <aside class="lineage-panel" aria-live="polite">
        {busy ? <p class="muted">Loading neighbours…</p> : null}
        {error ? <ErrorBox message={error} /> : null}
        {model.truncated ? <p class="muted">The graph is cut at its node limit.</p> : null}
        {chosen ? <NodeFacts node={chosen} /> : null}
        <p class="muted">Click a node to add what it came from and what used it.</p>
      </aside>
    </div>
  );
}

function NodeFacts({ node }: { node: LineageNode }) {
  const label = nodeLabel(node);
  const runId = node.kind === "artifact" ? node.artifact.run_id : node.execution.run_id;
  return (
    <div class="lineage-facts">
      <h3>{label.title}</h3>
      <p class="muted">{label.subtitle}</p>
      <p>
        <Link href={nodePage(node)}>Open this {node.kind}</Link>
      </p>
      {runId ? (
        <p>
          Run: <Link href={`/runs/${runId}`}>{runId.slice(0, 8)}</Link>
        </p>
      ) : null}
      {node.kind === "execution" && node.execution.cached_from_run_id ? (
        <p>
          Reused the outputs of <Link href={`/runs/${node.execution.cached_from_run_id}`}>an earlier run</Link>
        </p>
      ) : null}
      {node.kind === "artifact" ? <code class="lineage-uri">{node.artifact.uri}</code> : null}
    </div>
  );
}

function shownTitle(title: string): string {
  return title.length > 26 ? `${title.slice(0, 25)}…` : title;
}
