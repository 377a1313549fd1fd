"""All routers of the API, in one place."""

from fastapi import APIRouter

from .routes import health, metadata, metrics, predict

api_router = APIRouter()
api_router.include_router(predict.router)
api_router.include_router(health.router)
api_router.include_router(metadata.router)
api_router.include_router(metrics.router)
