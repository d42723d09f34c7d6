// The pipeline's static graph, built from its PipelineSpec: one scope per DAG, groups nested inside.

import { componentOf, executorOf, type PipelineSpec, type TaskSpec } from "./spec";

export type NodeKind = "container" | "importer" | "dag" | "loop" | "condition" | "branches" | "exit_handler" | "artifact";

/** What a graph shows besides tasks: with `artifacts`, each task's output artifacts as nodes of their own. */
export interface GraphOptions {
  artifacts?: boolean;
}

/** The separator of an artifact node's key: the producing task's key, then the output's name. */
export const ARTIFACT_KEY_SEPARATOR = "#";

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

export function buildSpecGraph(spec: PipelineSpec, options: GraphOptions = {}): SpecScope {
  return scopeOf(spec, spec.root?.dag?.tasks ?? {}, ROOT_KEY, new Set(), options);
}

function scopeOf(
  spec: PipelineSpec,
  tasks: Record<string, TaskSpec>,
  baseKey: string,
  enclosingComponents: Set<string>,
  options: GraphOptions = {},
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
      node.children = scopeOf(spec, innerTasks, key, enclosing, options);
    }
    nodes.push(node);
    if (options.artifacts && !node.children) {
      for (const output of Object.keys(component?.outputDefinitions?.artifacts ?? {})) {
        nodes.push({
          key: `${key}${ARTIFACT_KEY_SEPARATOR}${output}`,
          taskName: `${taskName}${ARTIFACT_KEY_SEPARATOR}${output}`,
          label: output,
          kind: "artifact",
          componentName: "",
        });
        edges.push({ from: key, to: `${key}${ARTIFACT_KEY_SEPARATOR}${output}` });
      }
    }
    // With artifact nodes, a task that only takes a sibling's artifacts hangs off those artifacts instead.
    const throughArtifacts = options.artifacts ? artifactProducers(spec, tasks, task) : new Map<string, string[]>();
    for (const [producer, outputs] of throughArtifacts) {
      for (const output of outputs) {
        edges.push({ from: `${baseKey}/${producer}${ARTIFACT_KEY_SEPARATOR}${output}`, to: key });
      }
    }
    // kfp lists artifact producers in dependentTasks too: those edges now run through the artifact nodes.
    const direct = options.artifacts ? parameterUpstreamOf(task) : upstreamOf(task);
    if (options.artifacts) {
      for (const producer of upstreamOf(task)) if (!throughArtifacts.has(producer)) direct.add(producer);
    }
    for (const upstream of direct) {
      if (names.has(upstream) && upstream !== taskName) edges.push({ from: `${baseKey}/${upstream}`, to: key });
    }
  }
  return { nodes, edges };
}

/** Sibling container tasks whose output artifacts this task takes (drawn as artifact nodes), with the outputs. */
function artifactProducers(spec: PipelineSpec, tasks: Record<string, TaskSpec>, task: TaskSpec): Map<string, string[]> {
  const producers = new Map<string, string[]>();
  for (const input of Object.values(task.inputs?.artifacts ?? {})) {
    const producer = input.taskOutputArtifact?.producerTask;
    const output = input.taskOutputArtifact?.outputArtifactKey;
    const producerTask = producer ? tasks[producer] : undefined;
    // Artifacts of groups are not drawn as nodes: their edge stays task to task.
    if (!producer || !output || !producerTask || componentOf(spec, producerTask)?.dag) continue;
    producers.set(producer, [...(producers.get(producer) ?? []), output]);
  }
  return producers;
}

/** Sibling tasks whose output parameters (or final status) this task takes. */
function parameterUpstreamOf(task: TaskSpec): Set<string> {
  const upstream = new Set<string>();
  for (const input of Object.values(task.inputs?.parameters ?? {})) {
    const producer = input.taskOutputParameter?.producerTask ?? input.taskFinalStatus?.producerTask;
    if (producer) upstream.add(producer);
  }
  return upstream;
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
