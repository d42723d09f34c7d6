// The pipeline's static graph, built from its PipelineSpec: one scope per DAG, groups nested inside.

import { componentOf, executorOf, type PipelineSpec, type TaskSpec } from "./spec";

export type NodeKind = "container" | "importer" | "dag" | "loop" | "condition" | "branches" | "exit_handler";

export interface SpecNode {
  /** Where the task sits in the spec, e.g. "root/for-loop-2/train"; unique in the pipeline. */
  key: string;
  /** The task's key in its parent DAG (also the last part of `key`). */
  taskName: string;
  label: string;
  kind: NodeKind;
  componentName: string;
  /** The DAG inside a group (loop, condition, exit handler, nested pipeline). */
  children?: SpecScope;
  /** What the group waits for: a condition's expression, or what a loop iterates over. */
  detail?: string;
}

export interface SpecEdge {
  from: string;
  to: string;
}

export interface SpecScope {
  nodes: SpecNode[];
  edges: SpecEdge[];
}

export const ROOT_KEY = "root";

export function isGroup(node: SpecNode): boolean {
  return node.children !== undefined;
}

export function buildSpecGraph(spec: PipelineSpec): SpecScope {
  return scopeOf(spec, spec.root?.dag?.tasks ?? {}, ROOT_KEY, new Set());
}

function scopeOf(
  spec: PipelineSpec,
  tasks: Record<string, TaskSpec>,
  baseKey: string,
  enclosingComponents: Set<string>,
): SpecScope {
  const names = new Set(Object.keys(tasks));
  const nodes: SpecNode[] = [];
  const edges: SpecEdge[] = [];
  for (const [taskName, task] of Object.entries(tasks)) {
    const key = `${baseKey}/${taskName}`;
    const componentName = task.componentRef?.name ?? "";
    const component = componentOf(spec, task);
    const node: SpecNode = {
      key,
      taskName,
      label: task.taskInfo?.name || taskName,
      kind: kindOf(spec, taskName, task),
      componentName,
    };
    const detail = detailOf(task);
    if (detail) node.detail = detail;
    const innerTasks = component?.dag?.tasks;
    // A malformed spec could name a component from inside itself; draw it once rather than forever.
    if (innerTasks && !enclosingComponents.has(componentName)) {
      const enclosing = new Set(enclosingComponents).add(componentName);
      node.children = scopeOf(spec, innerTasks, key, enclosing);
    }
    nodes.push(node);
    for (const upstream of upstreamOf(task)) {
      if (names.has(upstream) && upstream !== taskName) edges.push({ from: `${baseKey}/${upstream}`, to: key });
    }
  }
  return { nodes, edges };
}

function kindOf(spec: PipelineSpec, taskName: string, task: TaskSpec): NodeKind {
  if (task.parameterIterator || task.artifactIterator) return "loop";
  const component = componentOf(spec, task);
  if (component?.dag) {
    // kfp names the group of an If/Elif/Else chain "condition-branches-N", and each branch "condition-N".
    if (taskName.startsWith("condition-branches-")) return "branches";
    if (taskName.startsWith("condition-")) return "condition";
    if (taskName.startsWith("exit-handler-")) return "exit_handler";
    return "dag";
  }
  return executorOf(spec, component)?.importer ? "importer" : "container";
}

function detailOf(task: TaskSpec): string | undefined {
  if (task.triggerPolicy?.condition) return task.triggerPolicy.condition;
  const items = task.parameterIterator?.items;
  if (items?.raw !== undefined) return `for each in ${items.raw}`;
  if (items?.inputParameter) return `for each in ${items.inputParameter}`;
  const artifacts = task.artifactIterator?.items?.inputArtifact;
  return artifacts ? `for each in ${artifacts}` : undefined;
}

/** Sibling tasks this task waits for: explicit dependencies and the producers of its inputs. */
export function upstreamOf(task: TaskSpec): Set<string> {
  const upstream = new Set(task.dependentTasks ?? []);
  for (const input of Object.values(task.inputs?.parameters ?? {})) {
    const producer = input.taskOutputParameter?.producerTask ?? input.taskFinalStatus?.producerTask;
    if (producer) upstream.add(producer);
  }
  for (const input of Object.values(task.inputs?.artifacts ?? {})) {
    const producer = input.taskOutputArtifact?.producerTask;
    if (producer) upstream.add(producer);
  }
  return upstream;
}

/** Every node of the graph, groups' children included, depth first. */
export function* allNodes(scope: SpecScope): Generator<SpecNode> {
  for (const node of scope.nodes) {
    yield node;
    if (node.children) yield* allNodes(node.children);
  }
}
