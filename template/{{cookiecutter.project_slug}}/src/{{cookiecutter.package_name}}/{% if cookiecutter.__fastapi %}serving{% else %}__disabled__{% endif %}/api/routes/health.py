"""Liveness and readiness probes."""

from fastapi import APIRouter

from ...schemas import HealthResponse, ReadyResponse
from ..deps import ModelDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> HealthResponse:
    """Liveness: the process is up (a missing model does not make it unhealthy)."""
    return HealthResponse()


@router.get("/ready")
async def ready(model: ModelDep) -> ReadyResponse:
    """Readiness: a model is loaded; 503 with the reason until then."""
    return ReadyResponse(model_version=model.info.version)
