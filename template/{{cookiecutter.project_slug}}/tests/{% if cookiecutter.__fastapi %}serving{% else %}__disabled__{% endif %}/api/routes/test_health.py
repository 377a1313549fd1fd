from fastapi.testclient import TestClient


def test_health_is_always_ok(client: TestClient, client_without_model: TestClient) -> None:
    for each in (client, client_without_model):
        response = each.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


def test_ready_once_the_model_is_loaded(client: TestClient) -> None:
    # when
    response = client.get("/ready")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["model_version"].startswith("local-")


def test_not_ready_without_a_model_and_says_why(client_without_model: TestClient) -> None:
    # when
    response = client_without_model.get("/ready")

    # then
    assert response.status_code == 503
    assert "no model loaded" in response.json()["detail"]
    assert "train a model first" in response.json()["detail"]
