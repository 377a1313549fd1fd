"""Run tier, level 2: the project against a real MLflow server on PostgreSQL.

The scaled-out setup the rendered docs describe: a PostgreSQL database (a throwaway
cluster on a free port), ``mlflow server`` on it with proxied artifacts in their own
folder, and the project pointed at the server by ``MLFLOW_TRACKING_URI`` alone. The
project trains and registers (``make pipeline``), gates (``make validate``) and
promotes (``make promote``) through the server; ``make serve`` then loads the
champion from the server and answers real HTTP requests. The test reads the database
with psql to prove the registry really lives in PostgreSQL, and finds the model files
in the server's artifact folder rather than in the project.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.projects import render_project
from tests.services import call, mlflow_server, postgres, uvicorn_app

pytestmark = pytest.mark.run

SLUG = "customer-churn"
RECORD = {
    "tenure": 3,
    "monthly_charges": 99.0,
    "total_charges": 297.0,
    "gender": "male",
    "partner": False,
    "dependents": False,
    "phone_service": True,
}


def test_project_uses_an_mlflow_server_on_postgresql(tmp_path: Path) -> None:
    proj = render_project(tmp_path, {"maturity_level": "2"})
    proj.run("make", "install")
    artifacts = tmp_path / "artifact-store"

    started = time.perf_counter()
    with (
        postgres(databases=["mlflow_db"]) as pg,
        mlflow_server(
            proj.path,
            pg.uri("mlflow_db"),
            artifacts,
            env=proj.env,
            log=tmp_path / "mlflow-server.log",
        ) as server,
    ):
        proj.timings["start postgres + mlflow server"] = time.perf_counter() - started
        proj.env["MLFLOW_TRACKING_URI"] = server.url

        def sql(query: str) -> list[list[str]]:
            out = pg.psql("mlflow_db", query)
            return [line.split("|") for line in out.splitlines() if line]

        # the pipeline trains, logs and registers version 1 as the challenger
        proj.run("make", "pipeline")
        assert sql("SELECT name FROM registered_models") == [[SLUG]]
        assert sql("SELECT name, version FROM model_versions") == [[SLUG, "1"]]
        assert sql("SELECT alias, version FROM registered_model_aliases") == [["challenger", "1"]]
        assert sql("SELECT count(*) FROM runs WHERE status = 'FINISHED'") == [["1"]]

        # the gate passes and promotion moves the champion alias, on the server
        proj.run("make", "validate")
        assert (proj.path / "reports" / "validation.md").is_file()
        proj.run("make", "promote")
        aliases = sorted(sql("SELECT alias, version FROM registered_model_aliases"))
        assert aliases == [["challenger", "1"], ["champion", "1"]], aliases

        # nothing fell back to the local defaults
        assert not (proj.path / "mlflow.db").exists(), "the project used sqlite, not the server"
        assert not (proj.path / "mlartifacts").exists(), "artifacts were stored locally"
        assert not (proj.path / "mlruns").exists(), "artifacts were stored locally"
        # the model files went through the server into its artifact folder
        stored = {p.name for p in artifacts.rglob("*") if p.is_file()}
        assert {"MLmodel", "model.onnx"} <= stored, sorted(stored)

        # the API loads the champion from the server (MODEL_URI left at its default)
        proj.env.pop("MODEL_URI", None)
        with uvicorn_app(proj.path, proj.env, make=True, log=tmp_path / "api.log") as api:
            ready = call("GET", api.url + "/ready")
            assert ready.status == 200, ready
            reply = call("POST", api.url + "/predict", json.dumps(RECORD))
            assert reply.status == 200, reply
            answer = reply.json()
            assert answer["model_version"] == "1", answer
            assert answer["prediction"] in {0, 1}, answer
            metadata = call("GET", api.url + "/metadata").json()
            assert metadata["model_name"] == SLUG, metadata
            assert metadata["model_alias"] == "champion", metadata
            assert metadata["model_version"] == "1", metadata
            assert metadata["metrics"]["roc_auc"] >= 0.75, metadata
            batch = call("POST", api.url + "/predict/batch", json.dumps({"records": [RECORD] * 3}))
            assert batch.status == 200, batch
            assert [p["probability"] for p in batch.json()["predictions"]] == pytest.approx(
                [answer["probability"]] * 3, abs=1e-6
            )
    server_log = (tmp_path / "mlflow-server.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in server_log, server_log[-4000:]
    print(
        "tracking server timings (s):",
        json.dumps({k: round(v, 1) for k, v in proj.timings.items()}),
    )
