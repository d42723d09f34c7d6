// The pipeline graph as SVG: tasks, groups drawn around their children (expandable), live run states.

import { useMemo, useState } from "preact/hooks";
import type { SpecNode, SpecScope } from "../lib/graph";
import { ARTIFACT_KEY_SEPARATOR, allNodes, isGroup } from "../lib/graph";
import { GROUP_PADDING, type LaidNode, type LaidScope, layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "../lib/layout";
import { formatDuration } from "../lib/format";
import type { RunTask } from "../lib/runTasks";
import { stateClass, stateIcon, stateLabel } from "./State";

/** What a run adds to the spec graph; absent on a pipeline's page. */
export interface RunOverlay {
  taskFor(node: SpecNode): RunTask | undefined;
  /** A loop's iterations, for the iteration it sits in. */
  iterationsFor(node: SpecNode): RunTask[];
  selectedIteration(node: SpecNode): number;
  selectIteration(node: SpecNode, index: number): void;
}

const HEADER = 30;
const ITERATION_BAR = 24;
const ITERATION_BAR_WIDTH = 220;
const CELL = 10;
const CELL_STEP = 12;
const LABEL_CHARACTERS = 22;
// A loop's iteration cells fill rows of at most this many, so a big loop is drawn wide rather than tall.
const MAX_CELLS_PER_ROW = 50;
// Groups holding more than this many tasks start collapsed.
const EXPAND_LIMIT = 60;

const KIND_LABELS: Record<SpecNode["kind"], string> = {
  container: "",
  importer: "importer",
  dag: "pipeline",
  loop: "ParallelFor",
  condition: "If",
  branches: "If/Elif/Else",
  exit_handler: "Exit handler",
  artifact: "artifact",
};

function cellsPerRow(groupWidth: number): number {
  return Math.max(1, Math.floor((groupWidth - 2 * GROUP_PADDING) / CELL_STEP));
}

function iterationRows(count: number, groupWidth: number): number {
  return Math.ceil(count / cellsPerRow(groupWidth));
}

/** The component's name when it says more than the task's own. */
function componentLabel(node: SpecNode): string {
  const component = node.componentName.replace(/^comp-/, "");
  return component === node.label ? "" : component;
}

function truncate(text: string, length = LABEL_CHARACTERS): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function Dag({
  graph,
  run,
  selectedKey,
  onSelect,
}: {
  graph: SpecScope;
  run?: RunOverlay;
  selectedKey?: string;
  onSelect?: (node: SpecNode) => void;
}) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => initiallyCollapsed(graph));
  const [zoom, setZoom] = useState(1);
  const toggle = (node: SpecNode) =>
    setCollapsed((current) => {
      const next = new Set(current);
      if (!next.delete(node.key)) next.add(node.key);
      return next;
    });

  const iterationCount = (node: SpecNode) => (run && node.kind === "loop" ? run.iterationsFor(node).length : 0);
  // Iteration counts change the size of loop groups, so they are part of what the layout depends on.
  const loopSizes = [...allNodes(graph)]
    .filter((node) => node.kind === "loop" && !collapsed.has(node.key))
    .map((node) => `${node.key}=${iterationCount(node)}`)
    .join(",");
  const laid = useMemo(
    () =>
      layoutGraph(graph, {
        isExpanded: (node) => !collapsed.has(node.key),
        groupMinWidth: (node) => {
          const perRow = Math.min(MAX_CELLS_PER_ROW, Math.ceil(Math.sqrt(iterationCount(node) * 4)));
          return Math.max(ITERATION_BAR_WIDTH, perRow * CELL_STEP) + 2 * GROUP_PADDING;
        },
        groupHeader: (node, width) => {
          const count = iterationCount(node);
          return HEADER + (count ? ITERATION_BAR + iterationRows(count, width) * CELL_STEP + 4 : 0);
        },
      }),
    // `run` changes on every poll; only the loop sizes matter to the layout.
    [graph, collapsed, loopSizes],
  );

  if (graph.nodes.length === 0) return <div class="empty">This pipeline has no tasks.</div>;
  const margin = 16;
  const width = laid.width + 2 * margin;
  const height = laid.height + 2 * margin;
  const context: DrawContext = { run, selectedKey, onSelect, toggle };
  return (
    <div class="dag">
      <div class="dag-toolbar" role="toolbar" aria-label="Graph zoom">
        <button type="button" onClick={() => setZoom((value) => Math.max(0.25, value / 1.25))} aria-label="Zoom out">
          −
        </button>
        <span class="zoom-value">{Math.round(zoom * 100)}%</span>
        <button type="button" onClick={() => setZoom((value) => Math.min(2, value * 1.25))} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => setZoom(1)}>
          Reset
        </button>
      </div>
      <div class="dag-scroll">
        <svg
          width={width * zoom}
          height={height * zoom}
          viewBox={`0 0 ${width} ${height}`}
          role="group"
          aria-label="Pipeline graph"
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
            </marker>
          </defs>
          <g transform={`translate(${margin},${margin})`}>
            <Scope scope={laid} context={context} />
          </g>
        </svg>
      </div>
    </div>
  );
}

function initiallyCollapsed(graph: SpecScope): Set<string> {
  const collapsed = new Set<string>();
  for (const node of allNodes(graph)) {
    if (node.children && [...allNodes(node.children)].length > EXPAND_LIMIT) collapsed.add(node.key);
  }
  return collapsed;
}

interface DrawContext {
  run: RunOverlay | undefined;
  selectedKey: string | undefined;
  onSelect: ((node: SpecNode) => void) | undefined;
  toggle: (node: SpecNode) => void;
}

function Scope({ scope, context }: { scope: LaidScope; context: DrawContext }) {
  return (
    <>
      {scope.edges.map((edge) => (
        <path
          key={`${edge.from}>${edge.to}`}
          class="edge"
          d={edge.points.map((point, index) => `${index ? "L" : "M"}${point.x},${point.y}`).join(" ")}
          marker-end="url(#arrow)"
        />
      ))}
      {scope.nodes.map((laid) =>
        laid.inner ? (
          <Group key={laid.node.key} laid={laid} context={context} />
        ) : (
          <Node key={laid.node.key} laid={laid} context={context} />
        ),
      )}
    </>
  );
}

function activate(handler: () => void) {
  return {
    onClick: (event: MouseEvent) => {
      event.stopPropagation();
      handler();
    },
    onKeyDown: (event: KeyboardEvent) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        handler();
      }
    },
  };
}

/** An output artifact drawn as a node of its own (the graph's "artifacts" view): a label, not a button. */
function ArtifactNode({ laid }: { laid: LaidNode }) {
  const { node } = laid;
  const producer = node.key.split(ARTIFACT_KEY_SEPARATOR)[0]!.split("/").pop();
  return (
    <g
      transform={`translate(${laid.x},${laid.y})`}
      class="node node-artifact"
      role="img"
      aria-label={`${truncate(node.label)} artifact of ${producer}`}
      data-key={node.key}
    >
      <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={NODE_HEIGHT / 2} />
      <text>
        <tspan x={14} y={18} class="node-label">
          {truncate(node.label)}
        </tspan>{" "}
        <tspan x={14} y={34} class="node-subtitle">
          artifact of {producer}
        </tspan>
      </text>
    </g>
  );
}

function Node({ laid, context }: { laid: LaidNode; context: DrawContext }) {
  const { node } = laid;
  if (node.kind === "artifact") return <ArtifactNode laid={laid} />;
  const task = context.run?.taskFor(node);
  const group = isGroup(node);
  const state = task?.state;
  const selected = context.selectedKey === node.key;
  const kind = KIND_LABELS[node.kind];
  const subtitle = truncate(
    task
      ? `${stateLabel(state)}${task.detail.start_time ? ` · ${formatDuration(task.detail.start_time, task.detail.end_time)}` : ""}`
      : kind || componentLabel(node),
    26,
  );
  const classes = ["node", group ? "node-group" : "", context.run ? stateClass(state ?? "PENDING") : "", selected ? "selected" : ""];
  const fullLabel = group && kind ? `${kind}: ${node.label}` : node.label;
  const shownLabel = truncate(fullLabel, context.run ? LABEL_CHARACTERS - 2 : LABEL_CHARACTERS);
  return (
    <g
      transform={`translate(${laid.x},${laid.y})`}
      class={classes.join(" ")}
      role="button"
      tabindex={0}
      // The visible text, word for word, inside the name (WCAG 2.5.3); the full label when it is cut.
      aria-label={[shownLabel, subtitle, task?.cached ? "cached" : "", shownLabel === fullLabel ? "" : `(${fullLabel})`]
        .filter(Boolean)
        .join(" ")}
      aria-pressed={selected}
      data-key={node.key}
      data-state={state}
      {...activate(() => context.onSelect?.(node))}
    >
      <title>{`${node.label}${node.detail ? `\n${node.detail}` : ""}`}</title>
      <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
      {context.run ? (
        <text x={10} y={subtitle ? 18 : 27} class="node-icon" aria-hidden="true">
          {stateIcon(state ?? "PENDING")}
        </text>
      ) : null}
      {/* One text element, lines as tspans, spaces between: its text reads as the name says (axe, WCAG 2.5.3). */}
      <text>
        <tspan x={context.run ? 26 : 10} y={subtitle ? 18 : 27} class="node-label">
          {shownLabel}
        </tspan>
        {subtitle ? " " : null}
        {subtitle ? (
          <tspan x={context.run ? 26 : 10} y={34} class="node-subtitle">
            {subtitle}
          </tspan>
        ) : null}
        {task?.cached ? " " : null}
        {task?.cached ? (
          <tspan x={NODE_WIDTH - 8} y={34} class="cached-tag" text-anchor="end">
            cached
          </tspan>
        ) : null}
      </text>
      {group ? <Toggle x={NODE_WIDTH - 22} y={4} expanded={false} node={node} context={context} /> : null}
    </g>
  );
}

function Toggle({ x, y, expanded, node, context }: { x: number; y: number; expanded: boolean; node: SpecNode; context: DrawContext }) {
  return (
    <g
      class="toggle"
      transform={`translate(${x},${y})`}
      role="button"
      tabindex={0}
      aria-label={`${expanded ? "Collapse" : "Expand"} ${node.label}`}
      aria-expanded={expanded}
      {...activate(() => context.toggle(node))}
    >
      <rect width={18} height={18} rx={3} />
      <text x={9} y={13} text-anchor="middle">
        {expanded ? "−" : "+"}
      </text>
    </g>
  );
}

function Group({ laid, context }: { laid: LaidNode; context: DrawContext }) {
  const { node } = laid;
  const task = context.run?.taskFor(node);
  const selected = context.selectedKey === node.key;
  const kind = KIND_LABELS[node.kind];
  const title = `${kind ? `${kind}: ` : ""}${node.label}${node.detail ? ` — ${node.detail}` : ""}`;
  const maxCharacters = Math.floor((laid.width - 60) / 7);
  const classes = ["group", `group-${node.kind}`, context.run ? stateClass(task?.state ?? "PENDING") : "", selected ? "selected" : ""];
  return (
    <g transform={`translate(${laid.x},${laid.y})`} class={classes.join(" ")} data-key={node.key} data-state={task?.state}>
      <rect class="group-box" width={laid.width} height={laid.height} rx={8} />
      <g
        class="group-title"
        role="button"
        tabindex={0}
        aria-label={`${truncate(title, Math.max(10, maxCharacters))}${task ? ` ${stateLabel(task.state)}` : ""}${
          truncate(title, Math.max(10, maxCharacters)) === title ? "" : ` (${title})`
        }`}
        aria-pressed={selected}
        {...activate(() => context.onSelect?.(node))}
      >
        <title>{title}</title>
        <rect class="group-title-hit" width={laid.width - 30} height={HEADER - 4} />
        <text x={10} y={19}>
          {context.run ? `${stateIcon(task?.state ?? "PENDING")} ` : ""}
          {truncate(title, Math.max(10, maxCharacters))}
        </text>
      </g>
      <Toggle x={laid.width - 24} y={5} expanded node={node} context={context} />
      {context.run && node.kind === "loop" ? <Iterations laid={laid} run={context.run} /> : null}
      <g transform={`translate(${GROUP_PADDING},${laid.header})`}>
        <Scope scope={laid.inner!} context={context} />
      </g>
    </g>
  );
}

/** A loop's iterations: a bar to step through them, and one cell per iteration coloured by state. */
function Iterations({ laid, run }: { laid: LaidNode; run: RunOverlay }) {
  const { node } = laid;
  const iterations = run.iterationsFor(node);
  if (iterations.length === 0) return null;
  const selected = run.selectedIteration(node);
  const position = Math.max(0, iterations.findIndex((task) => task.iterationIndex === selected));
  const step = (delta: number) => {
    const target = iterations[Math.min(iterations.length - 1, Math.max(0, position + delta))];
    if (target?.iterationIndex !== undefined) run.selectIteration(node, target.iterationIndex);
  };
  const perRow = cellsPerRow(laid.width);
  const onCellClick = (event: MouseEvent) => {
    const index = (event.target as Element).getAttribute("data-iteration");
    if (index !== null) run.selectIteration(node, Number(index));
  };
  return (
    <g class="iterations" transform={`translate(${GROUP_PADDING},${HEADER})`}>
      <g class="iteration-step" role="button" tabindex={0} aria-label="Previous iteration" {...activate(() => step(-1))}>
        <rect width={18} height={18} rx={3} />
        <text x={9} y={13} text-anchor="middle">
          ‹
        </text>
      </g>
      <g class="iteration-step" role="button" tabindex={0} aria-label="Next iteration" transform="translate(22,0)" {...activate(() => step(1))}>
        <rect width={18} height={18} rx={3} />
        <text x={9} y={13} text-anchor="middle">
          ›
        </text>
      </g>
      <text x={48} y={13} class="iteration-label">
        iteration {selected} ({position + 1} of {iterations.length})
      </text>
      <g transform={`translate(0,${ITERATION_BAR})`} onClick={onCellClick} class="iteration-cells">
        {iterations.map((task, index) => (
          <rect
            key={task.id}
            x={(index % perRow) * CELL_STEP}
            y={Math.floor(index / perRow) * CELL_STEP}
            width={CELL}
            height={CELL}
            rx={2}
            class={`cell ${stateClass(task.state)}${task.iterationIndex === selected ? " current" : ""}`}
            data-iteration={task.iterationIndex}
          >
            <title>{`iteration ${task.iterationIndex}: ${stateLabel(task.state)}`}</title>
          </rect>
        ))}
      </g>
    </g>
  );
}
