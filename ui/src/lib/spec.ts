// The parts of a KFP PipelineSpec (protobuf JSON, camelCase) that the UI reads.

import type { PipelineSpecDocument } from "../api/types";

export type ParameterType =
  | "STRING"
  | "NUMBER_INTEGER"
  | "NUMBER_DOUBLE"
  | "BOOLEAN"
  | "LIST"
  | "STRUCT"
  | "TASK_FINAL_STATUS"
  | "PARAMETER_TYPE_ENUM_UNSPECIFIED";

export interface ParameterSpec {
  parameterType?: ParameterType;
  defaultValue?: unknown;
  isOptional?: boolean;
  description?: string;
}

export interface ArtifactSpec {
  artifactType?: { schemaTitle?: string; schemaVersion?: string };
  isArtifactList?: boolean;
  isOptional?: boolean;
  description?: string;
}

export interface InterfaceDefinitions {
  parameters?: Record<string, ParameterSpec>;
  artifacts?: Record<string, ArtifactSpec>;
}

interface ProducerRef {
  producerTask?: string;
}

export interface TaskSpec {
  taskInfo?: { name?: string };
  componentRef?: { name?: string };
  dependentTasks?: string[];
  inputs?: {
    parameters?: Record<
      string,
      {
        taskOutputParameter?: ProducerRef & { outputParameterKey?: string };
        taskFinalStatus?: ProducerRef;
        componentInputParameter?: string;
        runtimeValue?: { constant?: unknown };
      }
    >;
    artifacts?: Record<string, { taskOutputArtifact?: ProducerRef & { outputArtifactKey?: string } }>;
  };
  triggerPolicy?: { condition?: string; strategy?: string };
  parameterIterator?: { itemInput?: string; items?: { raw?: string; inputParameter?: string } };
  artifactIterator?: { itemInput?: string; items?: { inputArtifact?: string } };
  cachingOptions?: { enableCache?: boolean };
  retryPolicy?: { maxRetryCount?: number };
}

export interface ComponentSpec {
  inputDefinitions?: InterfaceDefinitions;
  outputDefinitions?: InterfaceDefinitions;
  dag?: { tasks?: Record<string, TaskSpec> };
  executorLabel?: string;
}

export interface ExecutorSpec {
  container?: { image?: string; command?: string[]; args?: string[] };
  importer?: { artifactUri?: unknown; typeSchema?: { schemaTitle?: string } };
}

export interface PipelineSpec {
  pipelineInfo?: { name?: string; displayName?: string; description?: string };
  root?: ComponentSpec;
  components?: Record<string, ComponentSpec>;
  deploymentSpec?: { executors?: Record<string, ExecutorSpec> };
  schemaVersion?: string;
  sdkVersion?: string;
}

/** The PipelineSpec inside what the API returns, which may wrap it with a platform spec. */
export function pipelineSpecOf(document: PipelineSpecDocument | undefined): PipelineSpec | undefined {
  if (!document) return undefined;
  const wrapped = document["pipeline_spec"] ?? document["pipelineSpec"];
  if (wrapped && typeof wrapped === "object") return wrapped as PipelineSpec;
  return document as PipelineSpec;
}

export function componentOf(spec: PipelineSpec, task: TaskSpec): ComponentSpec | undefined {
  const name = task.componentRef?.name;
  return name ? spec.components?.[name] : undefined;
}

export function executorOf(spec: PipelineSpec, component: ComponentSpec | undefined): ExecutorSpec | undefined {
  const label = component?.executorLabel;
  return label ? spec.deploymentSpec?.executors?.[label] : undefined;
}

export function pipelineParameters(spec: PipelineSpec | undefined): Record<string, ParameterSpec> {
  return spec?.root?.inputDefinitions?.parameters ?? {};
}
