"""What the service runs: the model, its training metrics and its input schema."""

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from ...schemas import MetadataResponse, PredictionRequest
from ..deps import ModelDep

router = APIRouter(prefix="/metadata", tags=["metadata"])


def _app_version() -> str:
    try:
        return version(__package__.split(".", 1)[0] if __package__ else "")
    except PackageNotFoundError:
        return "unknown"


@router.get("")
async def metadata(model: ModelDep) -> MetadataResponse:
    """Describe the served model and the features a prediction request needs."""
    info = model.info
    return MetadataResponse(
        model_name=info.name,
        model_version=info.version,
        model_alias=info.alias,
        model_uri=info.uri,
        threshold=info.threshold,
        metrics=info.metrics,
        features=PredictionRequest.model_json_schema(),
        app_version=_app_version(),
    )
