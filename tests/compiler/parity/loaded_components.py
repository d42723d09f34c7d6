"""Components loaded from YAML compiled by kfp: a container component and a whole pipeline."""

from pathlib import Path

import tests
from sluice import components, dsl

FIXTURES = Path(tests.__file__).parent / "fixtures" / "kfp_compiled"

SHOUT_YAML = """\
# PIPELINE DEFINITION
# Name: shout
components:
  comp-shout:
    executorLabel: exec-shout
    inputDefinitions:
      parameters:
        text:
          parameterType: STRING
    outputDefinitions:
      parameters:
        out:
          parameterType: STRING
deploymentSpec:
  executors:
    exec-shout:
      container:
        args:
        - '{{$.inputs.parameters[''text'']}}'
        - '{{$.outputs.parameters[''out''].output_file}}'
        command:
        - sh
        - -c
        - echo "$0" | tr a-z A-Z > "$1"
        image: alpine
pipelineInfo:
  name: shout
root:
  dag:
    outputs:
      parameters:
        out:
          valueFromParameter:
            outputParameterKey: out
            producerSubtask: shout
    tasks:
      shout:
        cachingOptions:
          enableCache: true
        componentRef:
          name: comp-shout
        inputs:
          parameters:
            text:
              componentInputParameter: text
        taskInfo:
          name: shout
  inputDefinitions:
    parameters:
      text:
        parameterType: STRING
  outputDefinitions:
    parameters:
      out:
        parameterType: STRING
schemaVersion: 2.1.0
sdkVersion: kfp-2.17.3
"""

shout = components.load_component_from_text(SHOUT_YAML)
hello_world = components.load_component_from_file(FIXTURES / "hello_world.yaml")


@dsl.pipeline(name="loaded-components")
def loaded_components(name: str = "world"):
    greeted = hello_world(name=name, excitement=2)
    loud = shout(text=greeted.output).set_cpu_limit("1")
    shout(text="again").after(loud)
    with dsl.ParallelFor(["a", "b"]) as letter:
        hello_world(name=letter)
