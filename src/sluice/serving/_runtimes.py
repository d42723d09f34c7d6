"""Inside a replica: the deployed model as a ``kserve.Model``, whichever predictor serves it.

Only replica processes import this module (it imports kserve, numpy and pandas).

- A Python class with ``load(self, model_path)`` and ``predict(self, instances) -> list`` is wrapped:
  V1 ``instances`` are passed as they are; a V2 request's first input becomes a list of rows. Predictions run
  one at a time in a worker thread, so a slow model never stalls the replica's health checks.
- A ``kserve.Model`` subclass is used as it is: built with the deployment's name (and ``model_dir`` when its
  constructor takes one), then ``load()`` unless the constructor already made it ready.
- scikit-learn: a ``.joblib``/``.pkl``/``.pickle`` file, or a folder with exactly one, loaded with joblib (or
  pickle) and called through ``predict`` with KServe's own input and output conversions.

A predictor raising ``ValueError`` or ``TypeError`` on the input answers 400 (the input did not fit the
model, e.g. a wrong number of features); any other exception is the model's failure and answers 500.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import kserve
from kserve.errors import InferenceError, InvalidInput
from kserve.protocol.infer_type import InferRequest
from kserve.utils.utils import get_predict_input, get_predict_response

from sluice.serving._predictors import MODEL_FILE_SUFFIXES, PREDICTOR_FILE, PredictorSpec

__all__ = ["LoadError", "build_model"]


class LoadError(Exception):
    """The model or its predictor cannot be loaded; the message is what the user sees."""


def build_model(
    name: str, model_path: Path, spec: PredictorSpec, predictor_file: Path | None
) -> kserve.Model:
    """The loaded, ready model. ``predictor_file``: the local copy of a file sent with the request."""
    if not model_path.exists():
        raise LoadError(f"the model {model_path} does not exist")
    runtime = spec.runtime
    if runtime == "auto":
        if model_path.is_dir() and (model_path / PREDICTOR_FILE).is_file():
            runtime = "python"
        elif _sklearn_file(model_path, strict=False) is not None:
            runtime = "sklearn"
        else:
            raise LoadError(
                f"cannot tell how to serve {model_path.name!r}: give a predictor ('sklearn' or FILE.py:CLASS), "
                f"or deploy a folder with a {PREDICTOR_FILE}, or a {'/'.join(MODEL_FILE_SUFFIXES)} file"
            )
    if runtime == "sklearn":
        model: kserve.Model = SklearnModel(name, model_path)
    elif runtime == "python":
        file = predictor_file or _file_in_model(model_path, spec.file or PREDICTOR_FILE)
        predictor_class = _predictor_class(file, spec.class_name)
        if issubclass(predictor_class, kserve.Model):
            model = _kserve_model(predictor_class, name, model_path)
        else:
            model = PythonPredictorModel(name, predictor_class, model_path)
    else:
        raise LoadError(f"unknown predictor runtime {runtime!r}")
    if not model.ready:
        try:
            model.load()
        except LoadError:
            raise
        except Exception as error:
            raise LoadError(f"{_where(model)}load() failed: {type(error).__name__}: {error}") from error
    if not model.ready:
        raise LoadError(f"{_where(model)}load() returned without making the model ready")
    return model


def _where(model: kserve.Model) -> str:
    if isinstance(model, PythonPredictorModel):
        return f"{model.predictor_class.__name__}."
    return f"{type(model).__name__}."


# ------------------------------------------------------------------------------------------- python predictors


def _file_in_model(model_path: Path, relative: str) -> Path:
    if not model_path.is_dir():
        raise LoadError(
            f"the predictor file {relative!r} is not in the model: the model {model_path.name!r} is a file, "
            "not a folder (send the predictor file with the request)"
        )
    file = model_path / relative
    if not file.is_file():
        raise LoadError(f"the model folder {model_path.name!r} has no {relative}")
    return file


def _import_file(file: Path) -> ModuleType:
    # Its folder goes on the path, so the predictor can import the modules next to it.
    sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(f"sluice_predictor_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise LoadError(f"{file.name} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise LoadError(f"importing {file.name} failed: {type(error).__name__}: {error}") from error
    return module


def _is_predictor(value: Any, module: ModuleType) -> bool:
    if not inspect.isclass(value) or value.__module__ != module.__name__:
        return False
    if issubclass(value, kserve.Model):
        return True
    return callable(getattr(value, "load", None)) and callable(getattr(value, "predict", None))


def _predictor_class(file: Path, class_name: str | None) -> type:
    module = _import_file(file)
    if class_name is not None:
        found = getattr(module, class_name, None)
        if not inspect.isclass(found):
            raise LoadError(f"{file.name} has no class {class_name!r}")
        if not issubclass(found, kserve.Model) and not (
            callable(getattr(found, "load", None)) and callable(getattr(found, "predict", None))
        ):
            raise LoadError(
                f"{file.name}:{class_name} needs load(self, model_path) and predict(self, instances) methods, "
                "or to subclass kserve.Model"
            )
        predictor: type = found
        return predictor
    candidates = [value for value in vars(module).values() if _is_predictor(value, module)]
    if len(candidates) != 1:
        names = ", ".join(sorted(value.__name__ for value in candidates)) or "none"
        raise LoadError(
            f"{file.name}: name the predictor class ({file.name}:CLASS); classes with load() and predict() "
            f"or subclassing kserve.Model: {names}"
        )
    chosen: type = candidates[0]
    return chosen


def _kserve_model(model_class: type[kserve.Model], name: str, model_path: Path) -> kserve.Model:
    parameters = inspect.signature(model_class).parameters
    arguments: dict[str, Any] = {}
    for keyword in ("model_dir", "model_path"):
        if keyword in parameters:
            arguments[keyword] = str(model_path)
    try:
        return model_class(name, **arguments)
    except Exception as error:
        raise LoadError(
            f"{model_class.__name__}({name!r}) failed: {type(error).__name__}: {error}"
        ) from error


def _decoded(payload: Any) -> dict[str, Any] | InferRequest:
    """KServe hands over the raw body when the request was not sent as JSON (e.g. curl's default form type)."""
    if isinstance(payload, (bytes, str)):
        try:
            payload = json.loads(payload)
        except ValueError as error:
            raise InvalidInput(f"the request body is not JSON: {error}") from error
    if not isinstance(payload, (dict, InferRequest)):
        raise InvalidInput(f'a V1 request is a JSON object with "instances", not a {type(payload).__name__}')
    return payload


def _rows(payload: dict[str, Any] | InferRequest) -> list[Any]:
    """What a predictor's ``predict`` receives: V1 ``instances`` as sent, or a V2 request's rows."""
    if isinstance(payload, InferRequest):
        try:
            data = get_predict_input(payload)
        except (ValueError, TypeError) as error:
            raise InvalidInput(f"the V2 inputs do not fit their shape or datatype: {error}") from error
        if isinstance(data, list):
            return data
        if hasattr(data, "to_dict"):  # a pandas frame, for content_type "pd"
            records: list[Any] = data.to_dict(orient="records")
            return records
        rows: list[Any] = data.tolist()
        return rows
    instances = payload.get("instances")
    if not isinstance(instances, list):
        raise InvalidInput(
            'a V1 request needs "instances": a list of inputs, e.g. {"instances": [[1.0, 2.0]]}'
        )
    return instances


def _as_list(result: Any, where: str) -> list[Any]:
    if hasattr(result, "tolist"):  # numpy arrays
        result = result.tolist()
    if isinstance(result, tuple):
        result = list(result)
    if not isinstance(result, list):
        raise InferenceError(f"{where}.predict() returned {type(result).__name__}; it must return a list")
    return result


class PythonPredictorModel(kserve.Model):  # type: ignore[misc]  # kserve is untyped
    """A user's class with ``load(model_path)`` and ``predict(instances) -> list``, served by KServe."""

    def __init__(self, name: str, predictor_class: type, model_path: Path) -> None:
        super().__init__(name)
        self.predictor_class = predictor_class
        self._model_path = model_path
        self._predictor: Any = None
        # One prediction at a time, off the event loop: the predictor need not be thread-safe, and health
        # checks keep answering while it works.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")

    def load(self) -> bool:
        predictor = self.predictor_class()
        predictor.load(str(self._model_path))
        self._predictor = predictor
        self.ready = True
        return True

    def _predict(self, rows: list[Any]) -> list[Any]:
        where = self.predictor_class.__name__
        try:
            result = self._predictor.predict(rows)
        except (ValueError, TypeError) as error:
            raise InvalidInput(
                f"the model could not use the input: {type(error).__name__}: {error}"
            ) from error
        return _as_list(result, where)

    async def predict(self, payload: Any, headers: Any = None) -> Any:
        payload = _decoded(payload)
        rows = _rows(payload)
        predictions = await asyncio.get_running_loop().run_in_executor(self._worker, self._predict, rows)
        if isinstance(payload, InferRequest):
            return get_predict_response(payload, predictions, self.name)
        return {"predictions": predictions}


# ------------------------------------------------------------------------------------------------ scikit-learn


def _sklearn_file(model_path: Path, *, strict: bool = True) -> Path | None:
    if model_path.is_file():
        return model_path if model_path.suffix in MODEL_FILE_SUFFIXES or strict else None
    found = sorted(path for path in model_path.iterdir() if path.suffix in MODEL_FILE_SUFFIXES)
    if len(found) == 1:
        return found[0]
    if not strict:
        return None
    if not found:
        raise LoadError(f"the model folder {model_path.name!r} has no {'/'.join(MODEL_FILE_SUFFIXES)} file")
    names = ", ".join(path.name for path in found)
    raise LoadError(f"the model folder {model_path.name!r} has several model files ({names}); deploy one")


class SklearnModel(kserve.Model):  # type: ignore[misc]
    """A pickled scikit-learn estimator (joblib or pickle), predicting with ``predict``."""

    def __init__(self, name: str, model_path: Path) -> None:
        super().__init__(name)
        self._model_path = model_path
        self._estimator: Any = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")

    def load(self) -> bool:
        file = _sklearn_file(self._model_path)
        assert file is not None
        try:
            try:
                import joblib
            except ImportError:
                with file.open("rb") as handle:
                    self._estimator = pickle.load(handle)
            else:
                self._estimator = joblib.load(file)
        except Exception as error:
            raise LoadError(f"loading {file.name} failed: {type(error).__name__}: {error}") from error
        if not callable(getattr(self._estimator, "predict", None)):
            raise LoadError(f"{file.name} holds a {type(self._estimator).__name__}, which has no predict()")
        self.ready = True
        return True

    def _predict(self, payload: dict[str, Any] | InferRequest) -> Any:
        if isinstance(payload, dict) and not isinstance(payload.get("instances"), list):
            raise InvalidInput(
                'a V1 request needs "instances": a list of inputs, e.g. {"instances": [[1.0, 2.0]]}'
            )
        try:
            inputs = get_predict_input(payload)
            result = self._estimator.predict(inputs)
        except (ValueError, TypeError) as error:
            raise InvalidInput(
                f"the model could not use the input: {type(error).__name__}: {error}"
            ) from error
        return get_predict_response(payload, result, self.name)

    async def predict(self, payload: Any, headers: Any = None) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self._worker, self._predict, _decoded(payload)
        )
