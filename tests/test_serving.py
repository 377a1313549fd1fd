"""Run tier, levels 2 and 3: the rendered API serves the champion model over real HTTP.

A level-3 project (a level-2 project plus prediction logging, Feast and the rest) is
rendered, installed, trained (its DVC pipeline), validated and
promoted with the default local registry (sqlite), then its API runs as a real uvicorn
process on a free port of 127.0.0.1. The test speaks HTTP to it: every endpoint, valid
and invalid requests (each refused with a 4xx that names the field, never a 5xx), the
Prometheus counters, the same probabilities as the trained scikit-learn pipeline, and a
bounded schemathesis run against the live OpenAPI schema.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.serve_bench import held_out_records
from tests.projects import Project, render_project
from tests.services import HttpService, Reply, call, package_name, uvicorn_app

pytestmark = pytest.mark.run

SLUG = "customer-churn"
MAX_BATCH_SIZE = 1000  # the service's default
RECORD = {
    "tenure": 12,
    "monthly_charges": 70.5,
    "total_charges": 846.0,
    "gender": "female",
    "partner": True,
    "dependents": False,
    "phone_service": True,
}

SKLEARN_PROBABILITIES = """
import json
import joblib
from pathlib import Path
from {package}.core.features import FEATURE_NAMES
from {package}.io.data import read_csv
rows = read_csv(Path("data/processed/test.csv")).head({count})
model = joblib.load("models/model.joblib")
print(json.dumps(model.predict_proba(rows[list(FEATURE_NAMES)])[:, 1].tolist()))
"""


def trained_project(tmp_path: Path) -> Project:
    """A level-3 project, installed, with a validated champion in its local registry."""
    proj = render_project(tmp_path, {"maturity_level": "3"})
    proj.run("make", "install")
    proj.run("make", "pipeline")
    assert (proj.path / "models" / "model.onnx").is_file(), "training must export ONNX"
    proj.run("make", "promote")  # runs the validation gate first (make validate)
    assert (proj.path / "reports" / "validation.md").is_file()
    proj.run("make", "features")  # the online store /predict/customer reads
    return proj


def with_values(**changes: Any) -> dict[str, Any]:
    """The valid record with some fields changed (a value of ``...`` drops the field)."""
    record = {**RECORD, **changes}
    return {k: v for k, v in record.items() if v is not ...}


def assert_refused(reply: Reply, *names: str, case: str = "") -> None:
    """A 4xx in JSON whose problems locate each of ``names``; never a 5xx."""
    assert 400 <= reply.status < 500, (case, reply.status, reply.text[:1000])
    detail = reply.json()["detail"]
    where = (
        [" ".join(map(str, [*p.get("loc", []), p.get("field", "")])) for p in detail]
        if isinstance(detail, list)
        else [str(detail)]
    )
    for name in names:
        assert any(name in place for place in where), (case, name, reply.text[:1000])


def request_counts(metrics: str) -> dict[tuple[str, str, str], float]:
    """``http_requests_total`` by (method, endpoint, status) from Prometheus text."""
    counts = {}
    for line in metrics.splitlines():
        found = re.match(r"^http_requests_total\{(.*)\} ([0-9.e+]+)$", line)
        if found:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
            key = (labels["method"], labels["endpoint"], labels["status"])
            counts[key] = float(found.group(2))
    return counts


def test_api_serves_the_champion_over_http(tmp_path: Path) -> None:
    proj = trained_project(tmp_path)
    started = time.perf_counter()
    with uvicorn_app(proj.path, proj.env, log=tmp_path / "api.log") as api:
        proj.timings["start the API"] = time.perf_counter() - started
        check_probes_and_metadata(api)
        check_predictions(api)
        check_refusals(api)
        check_metrics_count_requests(api)
        check_same_probabilities_as_sklearn(proj, api)
        check_schemathesis(api, tmp_path, proj)
        log = api.log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, log[-4000:]
    print("serving timings (s):", json.dumps({k: round(v, 1) for k, v in proj.timings.items()}))


def check_probes_and_metadata(api: HttpService) -> None:
    health = call("GET", api.url + "/health")
    assert health.status == 200, health
    ready = call("GET", api.url + "/ready")
    assert ready.status == 200, ready
    assert ready.json()["model_version"] == "1", ready.text
    metadata = call("GET", api.url + "/metadata")
    assert metadata.status == 200, metadata
    info = metadata.json()
    assert info["model_version"] == "1", info
    assert info["model_name"] == SLUG, info
    assert info["model_alias"] == "champion", info
    assert info["metrics"]["roc_auc"] >= 0.75, info
    assert set(RECORD) <= set(info["features"]["properties"]), info["features"]
    schema = call("GET", api.url + "/openapi.json")
    assert schema.status == 200, schema
    assert {"/predict", "/predict/batch"} <= set(schema.json()["paths"]), schema.json()["paths"]


def check_predictions(api: HttpService) -> None:
    one = call("POST", api.url + "/predict", json.dumps(RECORD))
    assert one.status == 200, one
    answer = one.json()
    assert answer["prediction"] in {0, 1}, answer
    assert 0.0 <= answer["probability"] <= 1.0, answer
    assert answer["model_version"] == "1", answer

    records = [RECORD, with_values(tenure=70, partner=False), with_values(gender="male")]
    batch = call("POST", api.url + "/predict/batch", json.dumps({"records": records}))
    assert batch.status == 200, batch
    predictions = batch.json()["predictions"]
    assert len(predictions) == len(records), batch.text
    assert predictions[0]["probability"] == pytest.approx(answer["probability"], abs=1e-6)
    assert all(p["prediction"] in {0, 1} for p in predictions), predictions

    # the largest batch allowed is served
    full = call("POST", api.url + "/predict/batch", json.dumps({"records": [RECORD] * 1000}))
    assert full.status == 200, full.text[:1000]
    assert len(full.json()["predictions"]) == MAX_BATCH_SIZE


def check_refusals(api: HttpService) -> None:
    predict, batch = api.url + "/predict", api.url + "/predict/batch"
    refused = {
        "number as text": (with_values(tenure="12"), ["tenure"]),
        "integer as boolean": (with_values(partner=1), ["partner"]),
        "float for an integer": (with_values(tenure=12.5), ["tenure"]),
        "null": (with_values(total_charges=None), ["total_charges"]),
        "missing field": (with_values(monthly_charges=...), ["monthly_charges"]),
        "two missing fields": (with_values(gender=..., dependents=...), ["gender", "dependents"]),
        "unknown category": (with_values(gender="other"), ["gender"]),
        "unknown field": (with_values(customer_segment="gold"), ["customer_segment"]),
        "out of range": (with_values(tenure=-1), ["tenure"]),
        "huge number": (with_values(total_charges=1e308), ["total_charges"]),
        "huge integer": (with_values(tenure=10**40), ["tenure"]),
        "list for a record": ([RECORD], []),
    }
    for case, (body, names) in refused.items():
        assert_refused(call("POST", predict, json.dumps(body)), *names, case=case)

    # JSON text that json.dumps would not write: NaN, infinity, overflowing literals
    valid = json.dumps(RECORD)
    for raw, name in [
        (valid.replace("70.5", "NaN"), "monthly_charges"),
        (valid.replace("846.0", "Infinity"), "total_charges"),
        (valid.replace("846.0", "-Infinity"), "total_charges"),
        (valid.replace("846.0", "1e999"), "total_charges"),
        (valid.replace("12", "1" + "0" * 400, 1), "tenure"),
    ]:
        assert_refused(call("POST", predict, raw), name, case=raw)

    # not JSON at all, or not sent as JSON
    for text in [b'{"tenure": 12,', b"", b"null", b"[]", b'"text"', b"\xff\xfe{}"]:
        assert_refused(call("POST", predict, text), case=repr(text))
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/xml"]:
        reply = call("POST", predict, valid, content_type=content_type)
        assert_refused(reply, case=f"Content-Type: {content_type}")
    # without a Content-Type the body may be read as JSON; still never a 5xx
    assert call("POST", predict, valid, content_type=None).status in {200, 415, 422}

    # batches: a bad record is named by its position, empty and oversized batches refused
    records = [RECORD, RECORD, with_values(tenure="twelve")]
    reply = call("POST", batch, json.dumps({"records": records}))
    assert_refused(reply, "tenure")
    assert any("2" in str(problem["loc"]) for problem in reply.json()["detail"]), reply.text
    assert_refused(call("POST", batch, json.dumps({"records": []})), "records")
    assert_refused(call("POST", batch, json.dumps(RECORD)), "records")
    oversized = call("POST", batch, json.dumps({"records": [RECORD] * (MAX_BATCH_SIZE + 1)}))
    assert oversized.status in {413, 422}, oversized.text[:1000]
    assert_refused(oversized, "records")

    # wrong method, unknown path
    assert call("GET", predict).status == 405
    assert call("GET", api.url + "/nowhere").status == 404


def check_metrics_count_requests(api: HttpService) -> None:
    before = request_counts(call("GET", api.url + "/metrics").text)
    for _ in range(5):
        assert call("POST", api.url + "/predict", json.dumps(RECORD)).status == 200
    for _ in range(2):
        assert call("POST", api.url + "/predict", json.dumps(with_values(gender="x"))).status == 422
    reply = call("GET", api.url + "/metrics")
    assert reply.status == 200, reply
    assert reply.content_type.startswith("text/plain"), reply.content_type
    after = request_counts(reply.text)
    ok, bad = ("POST", "/predict", "200"), ("POST", "/predict", "422")
    assert after.get(ok, 0) - before.get(ok, 0) == 5, (before, after)
    assert after.get(bad, 0) - before.get(bad, 0) == 2, (before, after)
    assert "model_predictions_total" in reply.text, reply.text[:2000]
    assert "http_request_duration_seconds_bucket" in reply.text, reply.text[:2000]


def check_same_probabilities_as_sklearn(proj: Project, api: HttpService) -> None:
    count = 20
    records = held_out_records(proj.path, count)
    code = SKLEARN_PROBABILITIES.format(package=package_name(proj.path), count=count)
    expected = json.loads(proj.python(code))
    served = [
        call("POST", api.url + "/predict", json.dumps(record)).json()["probability"]
        for record in records
    ]
    batch = call("POST", api.url + "/predict/batch", json.dumps({"records": records})).json()
    in_batch = [p["probability"] for p in batch["predictions"]]
    assert served == pytest.approx(expected, abs=1e-5)
    assert in_batch == pytest.approx(expected, abs=1e-5)


def check_schemathesis(api: HttpService, tmp_path: Path, proj: Project) -> None:
    """Generated requests against the live schema: no 5xx, every answer as documented.

    Bounded by examples, not time (``--max-time`` would keep fuzzing until it is spent).
    """
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{api.url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        "30",
        "--request-timeout",
        "10",
        "--seed",
        "20240601",
        "--generation-database",
        "none",
        "--no-color",
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    proj.timings["schemathesis"] = time.perf_counter() - started
    assert proc.returncode == 0, f"{proc.stdout[-8000:]}\n{proc.stderr[-3000:]}"
