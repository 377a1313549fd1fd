from fastapi.testclient import TestClient

from tests.serving.conftest import VALID_RECORD


def test_metrics_count_requests_and_predictions(client: TestClient) -> None:
    # given
    client.post("/predict", json=VALID_RECORD)
    client.post("/predict", json={})
    client.get("/no-such-page")

    # when
    response = client.get("/metrics")

    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'http_requests_total{endpoint="/predict",method="POST",status="200"}' in text
    assert 'http_requests_total{endpoint="/predict",method="POST",status="422"}' in text
    assert 'http_requests_total{endpoint="unmatched",method="GET",status="404"}' in text
    assert 'http_request_duration_seconds_bucket{endpoint="/predict"' in text
    assert "model_predictions_total{prediction=" in text
