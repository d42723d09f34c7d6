// What the spec says about a task: its component's interface and, for containers, the command it runs.

import type { SpecNode } from "../lib/graph";
import { executorOf, type InterfaceDefinitions, type PipelineSpec } from "../lib/spec";
import { TYPE_LABELS } from "../lib/params";
import { formatValue } from "../lib/format";

export function ComponentInterface({ spec, node }: { spec: PipelineSpec; node: SpecNode }) {
  const component = spec.components?.[node.componentName];
  return (
    <>
      {node.detail ? (
        <p>
          <span class="muted">{node.kind === "loop" ? "Iterates" : "Runs when"}:</span> <code>{node.detail}</code>
        </p>
      ) : null}
      <Definitions title="Inputs" definitions={component?.inputDefinitions} />
      <Definitions title="Outputs" definitions={component?.outputDefinitions} />
    </>
  );
}

function Definitions({ title, definitions }: { title: string; definitions: InterfaceDefinitions | undefined }) {
  const parameters = Object.entries(definitions?.parameters ?? {});
  const artifacts = Object.entries(definitions?.artifacts ?? {});
  if (!parameters.length && !artifacts.length) return null;
  return (
    <>
      <h3>{title}</h3>
      <table class="table compact">
        <tbody>
          {parameters.map(([name, parameter]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{TYPE_LABELS[parameter.parameterType ?? "STRING"] ?? parameter.parameterType}</td>
              <td class="muted">{parameter.defaultValue !== undefined ? `default ${formatValue(parameter.defaultValue)}` : ""}</td>
            </tr>
          ))}
          {artifacts.map(([name, artifact]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{artifact.artifactType?.schemaTitle ?? "artifact"}{artifact.isArtifactList ? " (list)" : ""}</td>
              <td />
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function Command({ spec, node }: { spec: PipelineSpec; node: SpecNode }) {
  const executor = executorOf(spec, spec.components?.[node.componentName]);
  if (executor?.importer) {
    return (
      <p>
        Imports an artifact of type <code>{executor.importer.typeSchema?.schemaTitle ?? "artifact"}</code> from{" "}
        <code>{formatValue(executor.importer.artifactUri)}</code>.
      </p>
    );
  }
  const container = executor?.container;
  if (!container) return <p class="muted">This step runs no command of its own.</p>;
  return (
    <>
      {container.image ? (
        <p>
          <span class="muted">Image:</span> <code>{container.image}</code>
        </p>
      ) : null}
      <h3>Command</h3>
      <pre class="code">{(container.command ?? []).join("\n")}</pre>
      {container.args?.length ? (
        <>
          <h3>Arguments</h3>
          <pre class="code">{container.args.join("\n")}</pre>
        </>
      ) : null}
    </>
  );
}
