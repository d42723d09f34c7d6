"""Train, evaluate and report on a tiny classifier, end to end.

The everyday shape of an ML pipeline:

* pipeline parameters of each basic type, with defaults (``int``, ``float``, ``str``, ``bool``);
* components that pass ``Dataset`` and ``Model`` artifacts to each other through files
  (``Output[Dataset]`` in one task becomes ``Input[Dataset]`` in the next);
* evaluation logged to ``Output[Metrics]`` (scalars) and ``Output[ClassificationMetrics]``
  (a confusion matrix and an ROC curve), which UIs render as charts;
* a human-readable report as both ``Output[HTML]`` and ``Output[Markdown]``;
* a pipeline that returns an output: the trained model.

Every component uses the standard library only: the dataset is synthetic and the model is
logistic regression fitted by plain gradient descent, saved as JSON.
"""

from typing import NamedTuple

from sluice import dsl
from sluice.dsl import HTML, ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output


@dsl.component
def make_dataset(n_rows: int, seed: int, data: Output[Dataset]):
    """Writes a two-feature, two-class dataset as CSV: each class is a Gaussian blob."""
    import csv
    import random

    rng = random.Random(seed)
    with open(data.path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x1", "x2", "label"])
        for _ in range(n_rows):
            label = rng.randint(0, 1)
            centre = 1.0 if label else -1.0
            writer.writerow([round(rng.gauss(centre, 1.2), 4), round(rng.gauss(centre, 1.2), 4), label])
    data.metadata["rows"] = n_rows


@dsl.component
def split_dataset(
    data: Input[Dataset],
    test_fraction: float,
    shuffle: bool,
    seed: int,
    train: Output[Dataset],
    test: Output[Dataset],
) -> NamedTuple("SplitSizes", [("train_rows", int), ("test_rows", int)]):
    """Splits the rows into a training set and a held-out test set."""
    import csv
    import random
    from collections import namedtuple

    with open(data.path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    if shuffle:
        random.Random(seed).shuffle(rows)
    n_test = max(1, int(len(rows) * test_fraction))
    for artifact, part in ((test, rows[:n_test]), (train, rows[n_test:])):
        with open(artifact.path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(part)
        artifact.metadata["rows"] = len(part)
    sizes = namedtuple("SplitSizes", ["train_rows", "test_rows"])
    return sizes(len(rows) - n_test, n_test)


@dsl.component
def train_model(train: Input[Dataset], learning_rate: float, epochs: int, model: Output[Model]):
    """Fits logistic regression by batch gradient descent and saves the weights as JSON."""
    import csv
    import json
    import math

    with open(train.path, newline="") as f:
        rows = [(float(r["x1"]), float(r["x2"]), int(r["label"])) for r in csv.DictReader(f)]
    w1 = w2 = b = 0.0
    for _ in range(epochs):
        g1 = g2 = gb = 0.0
        for x1, x2, y in rows:
            error = 1.0 / (1.0 + math.exp(-(w1 * x1 + w2 * x2 + b))) - y
            g1, g2, gb = g1 + error * x1, g2 + error * x2, gb + error
        w1 -= learning_rate * g1 / len(rows)
        w2 -= learning_rate * g2 / len(rows)
        b -= learning_rate * gb / len(rows)
    with open(model.path, "w") as f:
        json.dump({"weights": [w1, w2], "bias": b}, f)
    model.metadata["framework"] = "logistic regression (standard library)"
    model.metadata["epochs"] = epochs


@dsl.component
def evaluate_model(
    test: Input[Dataset],
    model: Input[Model],
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
) -> float:
    """Scores the test set: accuracy and log loss, a confusion matrix and an ROC curve."""
    import csv
    import json
    import math

    with open(model.path) as f:
        params = json.load(f)
    (w1, w2), b = params["weights"], params["bias"]
    with open(test.path, newline="") as f:
        rows = [(float(r["x1"]), float(r["x2"]), int(r["label"])) for r in csv.DictReader(f)]
    scored = [(1.0 / (1.0 + math.exp(-(w1 * x1 + w2 * x2 + b))), y) for x1, x2, y in rows]

    predictions = [(p >= 0.5, y) for p, y in scored]
    tp = sum(1 for pred, y in predictions if pred and y == 1)
    tn = sum(1 for pred, y in predictions if not pred and y == 0)
    fp = sum(1 for pred, y in predictions if pred and y == 0)
    fn = len(predictions) - tp - tn - fp
    accuracy = (tp + tn) / len(predictions)
    eps = 1e-9
    log_loss = -sum(y * math.log(p + eps) + (1 - y) * math.log(1 - p + eps) for p, y in scored) / len(scored)

    metrics.log_metric("accuracy", round(accuracy, 4))
    metrics.log_metric("log_loss", round(log_loss, 4))
    metrics.log_metric("test_rows", len(rows))
    classification.log_confusion_matrix(["negative", "positive"], [[tn, fp], [fn, tp]])

    positives = sum(1 for _, y in scored if y == 1) or 1
    negatives = sum(1 for _, y in scored if y == 0) or 1
    thresholds = [i / 10 for i in range(10, -1, -1)]
    tpr = [sum(1 for p, y in scored if p >= t and y == 1) / positives for t in thresholds]
    fpr = [sum(1 for p, y in scored if p >= t and y == 0) / negatives for t in thresholds]
    classification.log_roc_curve(fpr, tpr, thresholds)
    return accuracy


@dsl.component
def write_report(
    model_name: str,
    accuracy: float,
    train_rows: int,
    metrics: Input[Metrics],
    html_report: Output[HTML],
    markdown_report: Output[Markdown],
):
    """Renders the evaluation as an HTML page and as Markdown."""
    import html

    scores = {k: v for k, v in metrics.metadata.items() if isinstance(v, (int, float))}
    verdict = "ready to ship" if accuracy >= 0.75 else "needs more work"

    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in sorted(scores.items()))
    with open(html_report.path, "w") as f:
        f.write(
            f"<html><body><h1>{html.escape(model_name)}</h1>"
            f"<p>Trained on {train_rows} rows: <b>{verdict}</b>.</p>"
            f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table></body></html>"
        )

    lines = [f"# {model_name}", "", f"Trained on {train_rows} rows: **{verdict}**.", ""]
    lines += ["| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in sorted(scores.items())]
    with open(markdown_report.path, "w") as f:
        f.write("\n".join(lines) + "\n")


@dsl.pipeline(name="tiny-training", description="Trains and evaluates a logistic regression classifier.")
def training_pipeline(
    n_rows: int = 400,
    test_fraction: float = 0.25,
    model_name: str = "tiny-logreg",
    shuffle: bool = True,
    learning_rate: float = 0.5,
    epochs: int = 50,
    seed: int = 42,
) -> Model:
    data = make_dataset(n_rows=n_rows, seed=seed)
    split = split_dataset(data=data.outputs["data"], test_fraction=test_fraction, shuffle=shuffle, seed=seed)
    trained = train_model(train=split.outputs["train"], learning_rate=learning_rate, epochs=epochs)
    evaluation = evaluate_model(test=split.outputs["test"], model=trained.outputs["model"])
    write_report(
        model_name=model_name,
        accuracy=evaluation.outputs["Output"],
        train_rows=split.outputs["train_rows"],
        metrics=evaluation.outputs["metrics"],
    )
    return trained.outputs["model"]
