"""Run shell commands as components with ``@dsl.container_component``.

A container component declares its inputs and outputs in its signature like any component, but
its body only describes a command line: it returns ``dsl.ContainerSpec(image, command, args)``.
Arguments are placeholders that are filled in when the task runs:

* an input parameter becomes its value, and ``Input[Dataset].path`` the path of a local copy
  of the artifact;
* ``Output[Dataset].path`` and ``dsl.OutputPath(int)`` / ``dsl.OutputPath(str)`` become the
  paths the command must write to; a file written to an ``OutputPath`` becomes an output
  parameter that downstream tasks receive as a plain value;
* ``dsl.ConcatPlaceholder`` joins strings and placeholders into one argument;
* ``dsl.IfPresentPlaceholder`` expands to its ``then`` arguments only when an optional input
  was given (and to ``else_`` otherwise).

The commands are POSIX shell (``sh``, ``printf``, ``cat``, ``wc``, ``head``), so any image with a
shell will do.
"""

from typing import Optional

from sluice import dsl
from sluice.dsl import Dataset, Input, Output


@dsl.container_component
def write_greeting(recipient: str, greeting: Output[Dataset], signature: Optional[str] = None):
    """Writes a greeting to a text file, signed only when a signature is given."""
    return dsl.ContainerSpec(
        image="alpine:3.20",
        command=[
            "sh",
            "-c",
            'out="$0"; mkdir -p "$(dirname "$out")"; printf "%s\\n" "$@" > "$out"',
        ],
        args=[
            greeting.path,
            dsl.ConcatPlaceholder(["Hello, ", recipient, "!"]),
            "Welcome to pipelines that run anywhere.",
            dsl.IfPresentPlaceholder(
                input_name="signature",
                then=[dsl.ConcatPlaceholder(["-- ", signature])],
            ),
        ],
    )


@dsl.container_component
def count_words(text: Input[Dataset], word_count: dsl.OutputPath(int), first_line: dsl.OutputPath(str)):
    """Counts the words of a text file and extracts its first line, as two output parameters."""
    return dsl.ContainerSpec(
        image="alpine:3.20",
        command=[
            "sh",
            "-c",
            'mkdir -p "$(dirname "$1")" "$(dirname "$2")"; '
            'wc -w < "$0" | tr -d " \\n" > "$1"; head -n 1 "$0" | tr -d "\\n" > "$2"',
        ],
        args=[text.path, word_count, first_line],
    )


@dsl.container_component
def show_summary(greeting: Input[Dataset], words: int, headline: str, banner: Optional[str] = None):
    """Prints the greeting file and what was learned about it, under a banner if one is given."""
    return dsl.ContainerSpec(
        image="alpine:3.20",
        command=[
            "sh",
            "-c",
            'if [ "$3" = "--banner" ]; then echo "== $4 =="; fi; cat "$0"; echo "$1 words; first line: $2"',
        ],
        args=[
            greeting.path,
            words,
            headline,
            dsl.IfPresentPlaceholder(input_name="banner", then=["--banner", banner], else_=["--no-banner"]),
        ],
    )


@dsl.pipeline(name="container-components")
def container_components(recipient: str = "new user", signature: str = "The Sluice team"):
    signed = write_greeting(recipient=recipient, signature=signature)
    unsigned = write_greeting(recipient=recipient)

    signed_counts = count_words(text=signed.outputs["greeting"])
    show_summary(
        greeting=signed.outputs["greeting"],
        words=signed_counts.outputs["word_count"],
        headline=signed_counts.outputs["first_line"],
        banner="signed greeting",
    )
    unsigned_counts = count_words(text=unsigned.outputs["greeting"])
    show_summary(
        greeting=unsigned.outputs["greeting"],
        words=unsigned_counts.outputs["word_count"],
        headline=unsigned_counts.outputs["first_line"],
    )
