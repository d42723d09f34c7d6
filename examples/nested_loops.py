"""Nest one ``dsl.ParallelFor`` inside another: a cross-validated hyperparameter search.

The outer loop runs over a pipeline parameter (a ``List[float]`` of learning rates); inside each
iteration a task produces the fold numbers and an inner loop scores each fold with that learning
rate. ``dsl.Collected`` on a task two loops deep gathers a list of lists, one inner list per
learning rate, which the last task reduces to the best learning rate. Each score is a ``dict``
that names its own learning rate, so the result does not depend on the order iterations finish in.
"""

from typing import List

from sluice import dsl


@dsl.component
def make_folds(k: int) -> List[int]:
    """Returns the fold indices 0..k-1."""
    return list(range(k))


@dsl.component
def score_fold(learning_rate: float, fold: int, k: int, seed: int) -> dict:
    """Fits y = w*x on all folds but one by gradient descent; scores it on the held-out fold."""
    import random
    import statistics

    rng = random.Random(seed)
    points = [(x, 3.0 * x + rng.gauss(0, 0.5)) for x in (rng.uniform(-1, 1) for _ in range(120))]
    held_out = points[fold::k]
    training = [p for i, p in enumerate(points) if i % k != fold]
    w = 0.0
    for _ in range(25):
        gradient = statistics.fmean(2 * (w * x - y) * x for x, y in training)
        w -= learning_rate * gradient
    mse = statistics.fmean((w * x - y) ** 2 for x, y in held_out)
    return {"learning_rate": learning_rate, "fold": fold, "mse": round(mse, 5)}


@dsl.component
def pick_learning_rate(scores: List[List[dict]]) -> float:
    """Returns the learning rate whose folds have the lowest mean held-out error."""
    import statistics

    mean_errors = {}
    for per_rate in scores:
        rate = per_rate[0]["learning_rate"]
        mean_errors[rate] = statistics.fmean(score["mse"] for score in per_rate)
        print(f"learning rate {rate}: mean held-out MSE {mean_errors[rate]:.5f} over {len(per_rate)} folds")
    return min(mean_errors, key=mean_errors.get)


@dsl.pipeline(name="cross-validated-search")
def cross_validated_search(
    learning_rates: List[float] = [0.01, 0.1, 0.4],
    k: int = 4,
    seed: int = 3,
) -> float:
    with dsl.ParallelFor(learning_rates, name="learning-rates") as learning_rate:
        folds = make_folds(k=k)
        with dsl.ParallelFor(folds.output, parallelism=2, name="folds") as fold:
            scored = score_fold(learning_rate=learning_rate, fold=fold, k=k, seed=seed)
    best = pick_learning_rate(scores=dsl.Collected(scored.output))
    return best.output
