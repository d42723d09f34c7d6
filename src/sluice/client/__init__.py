"""``sluice.Client``: a typed Python client of the pipeline service (``sluice up``, or KFP's v2beta1 API)."""

from __future__ import annotations

from sluice.client._client import DEFAULT_HOST, HOST_VARIABLES, Client, configured_host
from sluice.client._deployment_models import Deployment, DeploymentAction, DeploymentError, Revision
from sluice.client._errors import ApiError
from sluice.client._models import Experiment, Page, Pipeline, PipelineVersion, RecurringRun, Run, Task

__all__ = [
    "DEFAULT_HOST",
    "HOST_VARIABLES",
    "ApiError",
    "Client",
    "Deployment",
    "DeploymentAction",
    "DeploymentError",
    "Experiment",
    "Page",
    "Pipeline",
    "PipelineVersion",
    "RecurringRun",
    "Revision",
    "Run",
    "Task",
    "configured_host",
]
