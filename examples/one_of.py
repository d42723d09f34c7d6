"""Merge the outputs of exclusive branches with ``dsl.OneOf``.

A quality gate checks a batch of records. If it passes, the batch is published; otherwise it is
quarantined. Either way exactly one branch ran, and ``dsl.OneOf`` picks the output of whichever
did: once for a parameter (the batch's destination, returned by the pipeline) and once for an
artifact (a Markdown note, passed to a downstream task). Both branches must produce the same
type for ``dsl.OneOf`` to accept them.
"""

from sluice import dsl
from sluice.dsl import Input, Markdown, Output


@dsl.component
def check_batch(batch_size: int, seed: int) -> float:
    """Returns the fraction of valid records in a synthetic batch."""
    import random

    rng = random.Random(seed)
    valid = sum(1 for _ in range(batch_size) if rng.random() > 0.08)
    return valid / batch_size


@dsl.component
def publish(valid_fraction: float, note: Output[Markdown]) -> str:
    """Publishes the batch; returns where it went."""
    with open(note.path, "w") as f:
        f.write(f"# Published\n\n{valid_fraction:.1%} of the records were valid.\n")
    return "warehouse/published"


@dsl.component
def quarantine(valid_fraction: float, note: Output[Markdown]) -> str:
    """Quarantines the batch for a human to inspect; returns where it went."""
    with open(note.path, "w") as f:
        f.write(f"# Quarantined\n\nOnly {valid_fraction:.1%} of the records were valid.\n")
    return "warehouse/quarantine"


@dsl.component
def print_note(note: Input[Markdown]):
    """Prints the note left by whichever branch ran."""
    with open(note.path) as f:
        print(f.read())


@dsl.pipeline(name="quality-gate")
def quality_gate(batch_size: int = 1000, seed: int = 1, min_valid: float = 0.9) -> str:
    checked = check_batch(batch_size=batch_size, seed=seed)
    with dsl.If(checked.output >= min_valid, name="passed"):
        published = publish(valid_fraction=checked.output)
    with dsl.Else(name="failed"):
        quarantined = quarantine(valid_fraction=checked.output)

    print_note(note=dsl.OneOf(published.outputs["note"], quarantined.outputs["note"]))
    return dsl.OneOf(published.outputs["Output"], quarantined.outputs["Output"])
