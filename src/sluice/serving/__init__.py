"""Model serving: a model from any run behind a stable REST URL, with KServe's V1 and V2 protocols, revisions,
canary traffic, instant rollback, and replicas restarted on crash.

Read ``docs/serving.md`` first. The path a request follows: ``_router`` (the stable URL on ``sluice up``)
→ ``_routing`` (the table of ready replicas) → ``_upstream`` (pooled connections) → a replica process
(``_replica``: KServe's ModelServer, the predictor from ``_runtimes``). Actions on deployments
(``_operations``) change the store, and ``_supervisor`` makes the replicas match it; ``_traffic`` holds the
rules of who takes traffic. Nothing here imports kserve except the replica process itself.
"""

from sluice.serving import _schemas as schemas  # the API's request and response shapes
from sluice.serving._errors import Conflict, FailedPrecondition, InvalidRequest, NotFound, ServingError
from sluice.serving._models import store_upload
from sluice.serving._names import DEFAULT_NAMESPACE, check_name, deployment_path
from sluice.serving._operations import DeploymentService
from sluice.serving._predictors import PredictorSpec, parse_predictor
from sluice.serving._router import REVISION_HEADER, ServingRouter
from sluice.serving._serving import ModelServing
from sluice.serving._supervisor import Supervisor, SupervisorSettings

__all__ = [
    "DEFAULT_NAMESPACE",
    "REVISION_HEADER",
    "Conflict",
    "DeploymentService",
    "FailedPrecondition",
    "InvalidRequest",
    "ModelServing",
    "NotFound",
    "PredictorSpec",
    "ServingError",
    "ServingRouter",
    "Supervisor",
    "SupervisorSettings",
    "check_name",
    "deployment_path",
    "parse_predictor",
    "schemas",
    "store_upload",
]
