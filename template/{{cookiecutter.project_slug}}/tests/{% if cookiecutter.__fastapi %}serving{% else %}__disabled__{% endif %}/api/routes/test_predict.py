import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import VALID_RECORD, ServedModel, make_client


def test_predict_one(client: TestClient) -> None:
    # when
    response = client.post("/predict", json=VALID_RECORD)

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"prediction", "probability", "model_version"}
    assert body["prediction"] in {0, 1}
    assert 0 <= body["probability"] <= 1
    assert body["prediction"] == int(body["probability"] >= 0.5)


def test_served_probabilities_match_the_pipeline(
    client: TestClient, served_model: ServedModel
) -> None:
    # given
    rows = served_model.held_out
    records = rows.to_dict(orient="records")
    expected = served_model.pipeline.predict_proba(rows)[:, 1]

    # when
    one_by_one = [client.post("/predict", json=r).json()["probability"] for r in records]
    batch = client.post("/predict/batch", json={"records": records}).json()

    # then
    np.testing.assert_allclose(one_by_one, expected, rtol=0, atol=1e-5)
    together = [p["probability"] for p in batch["predictions"]]
    np.testing.assert_allclose(together, expected, rtol=0, atol=1e-5)
    assert batch["count"] == len(records)


def _problems(response_body: dict) -> dict[str, str]:
    return {problem["field"]: problem["msg"] for problem in response_body["detail"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tenure": "12"}, "tenure"),  # text is not a number
        ({"tenure": 12.5}, "tenure"),  # not a whole number
        ({"tenure": -1}, "tenure"),  # below the range
        ({"tenure": 10**30}, "tenure"),  # huge
        ({"monthly_charges": 1e308}, "monthly_charges"),  # above the range
        ({"total_charges": None}, "total_charges"),
        ({"gender": "other"}, "gender"),  # not an allowed category
        ({"gender": 1}, "gender"),
        ({"partner": "yes"}, "partner"),  # booleans are strict
        ({"partner": 1}, "partner"),
        ({"plan": "gold"}, "plan"),  # unknown field
    ],
)
def test_invalid_field_is_named(client: TestClient, change: dict, field: str) -> None:
    # when
    response = client.post("/predict", json={**VALID_RECORD, **change})

    # then
    assert response.status_code == 422
    assert field in _problems(response.json())


def test_missing_field_is_named(client: TestClient) -> None:
    # given
    record = {k: v for k, v in VALID_RECORD.items() if k != "gender"}

    # when
    response = client.post("/predict", json=record)

    # then
    assert response.status_code == 422
    assert _problems(response.json()) == {"gender": "Field required"}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused(client: TestClient, value: str) -> None:
    # given: JSON as some clients send it (Python's json module reads these)
    body = json.dumps({**VALID_RECORD, "monthly_charges": "?"}).replace('"?"', value)

    # when
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})

    # then
    assert response.status_code == 422
    assert "monthly_charges" in _problems(response.json())


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ('{"tenure": 12,', "application/json"),  # malformed JSON
        ("[1, 2]", "application/json"),  # not an object
        ("", "application/json"),  # no body
        ("tenure=12", "text/plain"),  # not JSON at all
        ("tenure=12", "application/x-www-form-urlencoded"),
        ("[" * 100_000, "application/json"),  # nested too deep for the parser
        ('{"tenure": 1' + "0" * 5000 + "}", "application/json"),  # too many digits to parse
    ],
)
def test_unreadable_body_is_a_client_error(
    client: TestClient, content: str, content_type: str
) -> None:
    # when
    response = client.post("/predict", content=content, headers={"content-type": content_type})

    # then
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_malformed_json_says_where(client: TestClient) -> None:
    # when
    response = client.post(
        "/predict", content='{"tenure": 12,', headers={"content-type": "application/json"}
    )

    # then
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["field"] == "body"
    assert problem["msg"].startswith("JSON decode error at character 14")


def test_predict_batch(client: TestClient) -> None:
    # given
    records = [VALID_RECORD, {**VALID_RECORD, "tenure": 60, "partner": False}]

    # when
    response = client.post("/predict/batch", json={"records": records})

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [set(p) for p in body["predictions"]] == [{"prediction", "probability"}] * 2
    assert body["model_version"].startswith("local-")


def test_invalid_record_in_a_batch_is_named_by_position(client: TestClient) -> None:
    # given
    records = [VALID_RECORD, {**VALID_RECORD, "gender": "other"}]

    # when
    response = client.post("/predict/batch", json={"records": records})

    # then
    assert response.status_code == 422
    assert "records.1.gender" in _problems(response.json())


def test_empty_batch_is_refused(client: TestClient) -> None:
    response = client.post("/predict/batch", json={"records": []})
    assert response.status_code == 422
    assert "records" in _problems(response.json())


def test_batch_above_the_limit_names_it(served_model: ServedModel) -> None:
    # given
    with make_client(MODEL_URI=str(served_model.folder), MAX_BATCH_SIZE=3) as client:
        # when
        response = client.post("/predict/batch", json={"records": [VALID_RECORD] * 4})

    # then
    assert response.status_code == 422
    assert "at most 3 records" in _problems(response.json())["records"]


def test_predictions_without_a_model_are_unavailable(client_without_model: TestClient) -> None:
    # when
    one = client_without_model.post("/predict", json=VALID_RECORD)
    many = client_without_model.post("/predict/batch", json={"records": [VALID_RECORD]})

    # then
    assert (one.status_code, many.status_code) == (503, 503)
    assert "train a model first" in one.json()["detail"]
