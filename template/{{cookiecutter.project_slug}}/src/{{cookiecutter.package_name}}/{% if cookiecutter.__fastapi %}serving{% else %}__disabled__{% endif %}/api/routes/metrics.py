"""Prometheus metrics, in the text format Prometheus scrapes."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", response_class=Response)
async def metrics() -> Response:
    """Request counts and latency by endpoint and status, predictions by class."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
