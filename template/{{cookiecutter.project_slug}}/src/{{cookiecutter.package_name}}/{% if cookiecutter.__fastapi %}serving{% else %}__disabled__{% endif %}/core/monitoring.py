"""Prometheus metrics: requests and latency by endpoint and status, predictions by class."""

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["method", "endpoint", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "endpoint", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
PREDICTIONS = Counter("model_predictions_total", "Predictions made, by class", ["prediction"])
UNMATCHED = "unmatched"  # label of requests to unknown paths, so labels stay few


class MetricsMiddleware:
    """Count and time every HTTP request (plain ASGI: cheaper than an HTTP middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap the app.

        Args:
            app: The ASGI app to measure.
        """
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, then record its endpoint, status and duration."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the server answers if the app fails before responding

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            # The router puts the matched route in the scope: label by its path template.
            route = scope.get("route")
            endpoint = getattr(route, "path", UNMATCHED)
            labels = (scope["method"], endpoint, str(status))
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(time.perf_counter() - start)


def count_predictions(positives: int, total: int) -> None:
    """Count predictions by class.

    Args:
        positives: How many records were predicted to churn.
        total: How many records were scored.
    """
    if positives:
        PREDICTIONS.labels("1").inc(positives)
    if total - positives:
        PREDICTIONS.labels("0").inc(total - positives)
