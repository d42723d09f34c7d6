"""Branch on an upstream task's output with ``dsl.If`` / ``dsl.Elif`` / ``dsl.Else``.

A monitoring job measures how far today's data has drifted from the training data and reacts:
retrain on heavy drift, open a review on moderate drift, otherwise just log that all is well.
Exactly one of the three branches runs. Conditions compare a task output with a literal or with
a pipeline parameter, and branches nest: the retrained model is only promoted if it validates.

The last block uses ``dsl.Condition``, the older spelling of ``dsl.If``. It still compiles (with
a deprecation warning) so that existing KFP pipelines keep working; prefer ``dsl.If`` in new code.
"""

from sluice import dsl


@dsl.component
def measure_drift(seed: int) -> float:
    """Returns a drift score in [0, 1]: the mean shift between two synthetic samples."""
    import random
    import statistics

    rng = random.Random(seed)
    reference = [rng.gauss(0.0, 1.0) for _ in range(500)]
    today = [rng.gauss(rng.uniform(0.0, 1.0), 1.0) for _ in range(500)]
    shift = abs(statistics.fmean(today) - statistics.fmean(reference))
    return round(min(shift, 1.0), 4)


@dsl.component
def retrain(drift: float) -> str:
    """Pretends to retrain and returns the new model's version tag."""
    version = f"v-drift-{int(drift * 1000):04d}"
    print(f"drift {drift}: retrained model {version}")
    return version


@dsl.component
def validate(version: str) -> str:
    """Checks the retrained model before it is promoted: returns "passed" or "failed"."""
    verdict = "passed" if version.startswith("v-") else "failed"
    print(f"model {version}: validation {verdict}")
    return verdict


@dsl.component
def log_message(message: str):
    """Prints a message."""
    print(message)


@dsl.pipeline
def drift_monitor(seed: int = 7, retrain_threshold: float = 0.5, mode: str = "monitor"):
    drift = measure_drift(seed=seed)

    with dsl.If(drift.output > retrain_threshold, name="heavy-drift"):
        retrained = retrain(drift=drift.output)
        checked = validate(version=retrained.output)
        with dsl.If(checked.output == "passed"):
            log_message(message="retrained model is ready to promote")
    with dsl.Elif(drift.output > 0.2, name="moderate-drift"):
        log_message(message="moderate drift: a review was opened")
    with dsl.Else(name="no-drift"):
        log_message(message="no drift: nothing to do")

    # The deprecated spelling, kept for pipelines written against older KFP releases.
    with dsl.Condition(mode == "audit", name="audit-mode"):
        log_message(message="audit mode: drift scores are archived")
