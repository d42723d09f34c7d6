"""The smallest useful pipeline: one component, one parameter, one output.

Read this first. A component is a plain Python function decorated with ``@dsl.component``; a
pipeline is a function decorated with ``@dsl.pipeline`` that calls components and wires their
outputs into each other. Type annotations declare the inputs and outputs: ``str`` and ``int``
parameters in, a ``str`` returned. The pipeline returns the second task's output, so the run's
result is the greeting itself.
"""

from sluice import dsl


@dsl.component
def make_greeting(name: str, excitement: int) -> str:
    """Builds a greeting for ``name``."""
    return f"Hello, {name}" + "!" * excitement


@dsl.component
def shout(text: str) -> str:
    """Prints the text in capitals and returns it."""
    loud = text.upper()
    print(loud)
    return loud


@dsl.pipeline(name="hello-world", description="Greets someone, loudly.")
def hello_world(name: str = "world", excitement: int = 1) -> str:
    greeting = make_greeting(name=name, excitement=excitement)
    return shout(text=greeting.output).output
