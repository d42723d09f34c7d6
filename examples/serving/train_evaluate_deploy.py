"""Train a model, evaluate it, and deploy it only if it beats the model being served.

Run it against ``sluice up`` (the deploy step talks to the service), e.g.:

    sluice compile examples/serving/train_evaluate_deploy.py -o deploy.yaml
    sluice runs submit deploy.yaml -p deployment=blobs --wait

* ``train`` writes a Model that is a folder: the weights and the ``predictor.py`` that serves them (a class
  with ``load(model_path)`` and ``predict(instances)``), so the model carries its own serving code;
* ``evaluate`` scores the candidate on held-out data with that same predictor;
* ``evaluate_serving`` scores the revision serving now, through its stable URL and KServe's V1 protocol,
  exactly as any client would (-1 when nothing serves yet);
* ``deploy_model`` (prebuilt, ``sluice.components``) runs only if the candidate scored higher, and rolls
  the model out: to all traffic once ready, or as a canary with ``canary_percent``; ``deploy=False``
  trains and evaluates only (roll the model out by hand: ``sluice deployments update NAME --model
  RUN_ID/train/model --canary 20``).

Standard library only: the model is logistic regression fitted by gradient descent.
"""

from sluice import dsl
from sluice.components import deploy_model
from sluice.dsl import Dataset, Input, Metrics, Model, Output

PREDICTOR = '''
import json
import math


class Logistic:
    """Serves the weights next to this file: class 1 when the logistic score is over one half."""

    def load(self, model_path):
        with open(model_path + "/weights.json") as handle:
            self.weights = json.load(handle)

    def predict(self, instances):
        w, b = self.weights["w"], self.weights["b"]
        return [int(1 / (1 + math.exp(-(sum(wi * xi for wi, xi in zip(w, row)) + b))) > 0.5) for row in instances]
'''


@dsl.component
def make_data(seed: int, n_rows: int, train: Output[Dataset], test: Output[Dataset]):
    """Two Gaussian blobs, split 80/20 into training and test CSVs."""
    import csv
    import random

    rng = random.Random(seed)
    rows = []
    for _ in range(n_rows):
        label = rng.randint(0, 1)
        centre = 1.5 if label else -1.5
        rows.append([round(rng.gauss(centre, 1.0), 4), round(rng.gauss(centre, 1.0), 4), label])
    cut = int(n_rows * 0.8)
    for output, part in ((train, rows[:cut]), (test, rows[cut:])):
        with open(output.path, "w", newline="") as handle:
            csv.writer(handle).writerows(part)


@dsl.component
def train(
    data: Input[Dataset], epochs: int, learning_rate: float, predictor_source: str, model: Output[Model]
):
    """Logistic regression by gradient descent; the model folder holds weights.json and predictor.py."""
    import csv
    import json
    import math
    import os

    with open(data.path, newline="") as handle:
        rows = [[float(x1), float(x2), int(label)] for x1, x2, label in csv.reader(handle)]
    w, b = [0.0, 0.0], 0.0
    for _ in range(epochs):
        for x1, x2, label in rows:
            error = 1 / (1 + math.exp(-(w[0] * x1 + w[1] * x2 + b))) - label
            w = [w[0] - learning_rate * error * x1, w[1] - learning_rate * error * x2]
            b -= learning_rate * error
    os.makedirs(model.path, exist_ok=True)
    with open(os.path.join(model.path, "weights.json"), "w") as handle:
        json.dump({"w": w, "b": b}, handle)
    with open(os.path.join(model.path, "predictor.py"), "w") as handle:
        handle.write(predictor_source)
    model.metadata.update({"framework": "logistic-regression", "epochs": epochs})


@dsl.component
def evaluate(model: Input[Model], test: Input[Dataset], metrics: Output[Metrics]) -> float:
    """The candidate's accuracy on the test set, with the predictor it will be served by."""
    import csv
    import importlib.util

    spec = importlib.util.spec_from_file_location("candidate", model.path + "/predictor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    predictor = module.Logistic()
    predictor.load(model.path)
    with open(test.path, newline="") as handle:
        rows = [[float(x1), float(x2), int(label)] for x1, x2, label in csv.reader(handle)]
    predictions = predictor.predict([row[:2] for row in rows])
    accuracy = sum(int(p == row[2]) for p, row in zip(predictions, rows)) / len(rows)
    metrics.log_metric("accuracy", accuracy)
    return accuracy


@dsl.component
def evaluate_serving(deployment: str, test: Input[Dataset], host: str) -> float:
    """The accuracy of the revision serving now, asked through its stable URL (-1 when none serves)."""
    import csv
    import json
    import os
    import urllib.error
    import urllib.request

    base = (host or os.environ.get("SLUICE_HOST") or "http://127.0.0.1:8888").rstrip("/")
    try:
        with urllib.request.urlopen(
            f"{base}/apis/sluice/v1/deployments/{deployment}", timeout=30
        ) as response:
            serving = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            print(f"nothing serves {deployment!r} yet")
            return -1.0
        raise
    if serving["current_revision"] is None:
        return -1.0
    with open(test.path, newline="") as handle:
        rows = [[float(x1), float(x2), int(label)] for x1, x2, label in csv.reader(handle)]
    request = urllib.request.Request(
        f"{serving['url']}/v1/models/{deployment}:predict",
        data=json.dumps({"instances": [row[:2] for row in rows]}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        predictions = json.load(response)["predictions"]
    accuracy = sum(int(p == row[2]) for p, row in zip(predictions, rows)) / len(rows)
    print(f"revision {serving['current_revision']} of {deployment!r} scores {accuracy:.3f}")
    return accuracy


@dsl.pipeline(name="train-evaluate-deploy", description="Deploy a model only if it beats the one serving.")
def train_evaluate_deploy(
    deployment: str = "blobs",
    seed: int = 7,
    n_rows: int = 400,
    epochs: int = 20,
    learning_rate: float = 0.05,
    canary_percent: int = 0,
    deploy: bool = True,
    host: str = "",
):
    data = make_data(seed=seed, n_rows=n_rows)
    trained = train(
        data=data.outputs["train"], epochs=epochs, learning_rate=learning_rate, predictor_source=PREDICTOR
    )
    candidate = evaluate(model=trained.outputs["model"], test=data.outputs["test"])
    serving = evaluate_serving(deployment=deployment, test=data.outputs["test"], host=host)
    serving.set_caching_options(False)  # it asks the service what serves now
    with (
        dsl.If(deploy == True, name="deploy-wanted"),  # noqa: E712  (a pipeline condition, not a Python test)
        dsl.If(candidate.outputs["Output"] > serving.output, name="better-than-serving"),
    ):
        deployed = deploy_model(
            model=trained.outputs["model"], deployment=deployment, canary_percent=canary_percent, host=host
        )
        deployed.set_caching_options(False)
