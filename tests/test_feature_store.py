"""Run tier, feature store: a project with Feast, driven as a user drives it.

A level-2 project with the feature store turned on (the cheapest one that has the API)
is rendered, installed, linted, tested and trained; ``make features`` publishes its
raw data to the Feast repository (source file, apply, materialize). Then:
point-in-time features equal the CSV's; training from the store gives the very model
training from the CSV gives; Feast's own CLI reads the repository; and the API,
a real uvicorn process, scores a customer by ID exactly as it scores that customer's
features, answers 404 for an unknown ID and 422 naming the field for a bad one.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from tests.projects import Project, render_project
from tests.services import call, package_name, uvicorn_app

pytestmark = pytest.mark.run

ANSWERS = {"maturity_level": "2", "use_feature_store": "true"}
REPO_DATA = Path("feature_repo") / "data"
OWN_TESTS = (
    "tests/io/test_feature_store.py",
    "tests/jobs/test_features.py",
    "tests/serving/api/routes/test_customer.py",
    "tests/test_cli.py",
)

# The training split's features, fetched point in time from the offline store, equal
# the CSV's: same rows, order, values and dtypes.
POINT_IN_TIME_EQUALS_CSV = """
from pathlib import Path
import pandas as pd
from {package}.io.data import read_csv
from {package}.io.feature_store import open_store, training_records
records = read_csv(Path("data/processed/train.csv")).reset_index(drop=True)
fetched = training_records(open_store(Path("feature_repo")), records)
pd.testing.assert_frame_equal(fetched, records)
print(len(fetched))
"""


def first_customer(proj: Project) -> dict[str, object]:
    """The first raw record, typed as the API takes it (without the label)."""
    with (proj.path / "data" / "sample" / "customers.csv").open(encoding="utf-8") as file:
        row = next(csv.DictReader(file))
    booleans = {"partner", "dependents", "phone_service"}
    record: dict[str, object] = {
        "tenure": int(row["tenure"]),
        "monthly_charges": float(row["monthly_charges"]),
        "total_charges": float(row["total_charges"]),
        "gender": row["gender"],
        **{name: row[name] == "True" for name in booleans},
    }
    return {"customer_id": row["customer_id"], **record}


def held_out_metrics(proj: Project) -> dict[str, float]:
    """The metrics training recorded beside the ONNX export."""
    metadata = json.loads((proj.path / "models" / "metadata.json").read_text(encoding="utf-8"))
    return metadata["metrics"]


def test_feature_store_end_to_end(tmp_path: Path) -> None:
    # given: a project installed from its lock, clean and passing its own tests
    proj = render_project(tmp_path, ANSWERS)
    proj.run("make", "install")
    proj.run("uv", "sync", "--locked")  # feast resolves with the project's other pins
    proj.run("make", "lint")
    # the project's own tests of the feature store (the level-3 run tier runs them all)
    proj.run("uv", "run", "--frozen", "pytest", "-q", *OWN_TESTS)
    proj.run("make", "train")
    from_csv = held_out_metrics(proj)

    # when: the raw data is published to the feature store
    published = proj.run("make", "features")

    # then: source, registry and online store are written
    assert "Wrote 5000 customers" in published.stderr, published.stderr
    assert "materialized them into the online store" in published.stderr, published.stderr
    for name in ("customers.parquet", "registry.db", "online_store.db"):
        assert (proj.path / REPO_DATA / name).is_file(), name
    # and Feast's own CLI imports feature_repo/definitions.py (past .feastignore) and finds
    # the objects make features applied: nothing to create or delete
    plan = proj.run("uv", "run", "--frozen", "feast", "-c", "feature_repo", "plan")
    changes = plan.stdout + plan.stderr
    assert "customer_features" in changes, changes
    for verb in ("Created entity", "Created feature view", "Deleted"):
        assert verb not in changes, changes
    assert proj.run("git", "status", "--porcelain", "feature_repo").stdout == "", "data/ ignored"

    # and point-in-time features equal the CSV's, so training on them gives the same model
    equal = POINT_IN_TIME_EQUALS_CSV.format(package=package_name(proj.path))
    assert proj.python(equal).strip() == "4000"
    proj.run("uv", "run", "--frozen", proj.slug, "train", "--from-feature-store")
    assert held_out_metrics(proj) == from_csv

    # and the API scores a customer by ID from the online store
    customer = first_customer(proj)
    features = {k: v for k, v in customer.items() if k != "customer_id"}
    env = {**proj.env, "MODEL_URI": "models"}  # the model just trained, no promotion needed
    started = time.perf_counter()
    with uvicorn_app(proj.path, env, log=tmp_path / "api.log") as api:
        proj.timings["start the API with the feature store"] = time.perf_counter() - started
        route = api.url + "/predict/customer"
        by_id = call("POST", route, json.dumps({"customer_id": customer["customer_id"]}))
        by_features = call("POST", api.url + "/predict", json.dumps(features))
        unknown = call("POST", route, json.dumps({"customer_id": "C999999"}))
        bad = call("POST", route, json.dumps({"customer_id": 1}))
        paths = call("GET", api.url + "/openapi.json").json()["paths"]
        log = api.log.read_text(encoding="utf-8", errors="replace")

    assert by_id.status == 200, by_id.text
    assert by_features.status == 200, by_features.text
    answer = by_id.json()
    assert answer["features"] == features, answer
    assert {k: answer[k] for k in by_features.json()} == by_features.json()
    assert unknown.status == 404, unknown.text
    assert unknown.json()["detail"] == "customer 'C999999' not found in the online feature store"
    assert bad.status == 422, bad.text
    assert [p["field"] for p in bad.json()["detail"]] == ["customer_id"], bad.text
    assert "/predict/customer" in paths
    assert "Traceback" not in log, log[-4000:]
    print("feature store timings (s):", json.dumps(proj.timings))
