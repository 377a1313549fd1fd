"""Dependencies of the routes, as ``Annotated`` aliases that read like type hints."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from ..core.config import Settings
from ..core.model import OnnxModel


def get_settings(request: Request) -> Settings:
    """Return the settings the app was created with."""
    return request.app.state.settings


def get_model(request: Request) -> OnnxModel:
    """Return the loaded model.

    Raises:
        HTTPException: 503 with the reason, while no model is loaded.
    """
    model: OnnxModel | None = request.app.state.model
    if model is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"no model loaded: {request.app.state.model_error}",
        )
    return model


SettingsDep = Annotated[Settings, Depends(get_settings)]
ModelDep = Annotated[OnnxModel, Depends(get_model)]
