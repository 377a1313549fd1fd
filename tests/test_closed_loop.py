"""Run tier, level 3: the closed loop from drift to retraining, the gate and rollback.

One level 3 project against a real MLflow server on PostgreSQL, driven through its
own Make targets as the retrain and deploy workflows drive it:

1. train v1, validate, promote: the API (loading ``@champion``) serves v1;
2. traffic drifts (logged by the API) -> ``make drift`` fails -> retrain on fresh data
   -> v2 passes the gate and is promoted; the restarted API serves v2 and passes
   ``make smoke``;
3. a deliberately bad v3 fails the gate (the champion stays v2); forced past the gate
   anyway, it fails ``make smoke`` -> ``make rollback`` -> the champion and the
   restarted API are back on v2;
4. ``make audit JSON=1`` lists every move in order, with who and why (the table form is
   the rendered project's own test).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from tests.projects import CommandError, Project, render_project
from tests.services import HttpService, Postgres, call, mlflow_server, postgres, uvicorn_app

pytestmark = pytest.mark.run

SLUG = "customer-churn"
# What the customers look like once the market has moved: long-standing, expensive,
# family plans without phone service. Every feature column shifts.
DRIFTED = {
    "tenure": 70,
    "monthly_charges": 118.0,
    "total_charges": 8200.0,
    "gender": "female",
    "partner": True,
    "dependents": True,
    "phone_service": False,
}


def set_params(proj: Project, section: str, **values: object) -> None:
    """Edit params.yaml as a user would."""
    path = proj.path / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def held_out_records(proj: Project, count: int) -> list[dict[str, object]]:
    """The first rows of the held-out split, as prediction requests."""
    with (proj.path / "data" / "processed" / "test.csv").open(encoding="utf-8") as rows:
        return [
            {
                "tenure": int(row["tenure"]),
                "monthly_charges": float(row["monthly_charges"]),
                "total_charges": float(row["total_charges"]),
                "gender": row["gender"],
                **{
                    flag: row[flag] == "True" for flag in ("partner", "dependents", "phone_service")
                },
            }
            for row, _ in zip(csv.DictReader(rows), range(count), strict=False)
        ]


def champion(pg: Postgres) -> str:
    """The registry's champion version, read from the tracking server's database."""
    query = "SELECT version FROM registered_model_aliases WHERE alias = 'champion'"
    return pg.psql("mlflow_db", query).strip()


def failing(proj: Project, *cmd: str) -> str:
    """Run a command that must fail; return its output."""
    with pytest.raises(CommandError) as failure:
        proj.run(*cmd)
    return str(failure.value)


@contextmanager
def serving(proj: Project, log: Path) -> Iterator[HttpService]:
    """The API, freshly started: it loads whatever @champion is now."""
    with uvicorn_app(proj.path, proj.env, log=log) as api:
        yield api


def served_version(api: HttpService) -> str:
    metadata = call("GET", api.url + "/metadata").json()
    assert metadata["model_alias"] == "champion", metadata
    return metadata["model_version"]


def predict(api: HttpService, records: list[dict[str, object]]) -> None:
    reply = call("POST", api.url + "/predict/batch", json.dumps({"records": records}))
    assert reply.status == 200, reply


def wait_for_logged(proj: Project, count: int, timeout: float = 20.0) -> list[dict[str, object]]:
    """The API's prediction log (JSON Lines), once it holds ``count`` records.

    The API writes from a background thread, so records land shortly after the reply.
    """
    deadline = time.monotonic() + timeout
    while True:
        records = [
            json.loads(line)
            for path in sorted((proj.path / "logs" / "predictions").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        if len(records) >= count or time.monotonic() > deadline:
            assert len(records) >= count, f"{len(records)} records logged, expected {count}"
            return records
        time.sleep(0.2)


def test_drift_retrain_gate_smoke_rollback_audit(tmp_path: Path) -> None:
    proj = render_project(
        tmp_path, {"maturity_level": "3", "cloud_provider": "none", "use_feature_store": "false"}
    )
    proj.run("make", "install")
    proj.env.pop("MODEL_URI", None)  # the API's default: models:/customer-churn@champion
    logs = tmp_path / "logs"
    logs.mkdir()

    started = time.perf_counter()
    with (
        postgres(databases=["mlflow_db"]) as pg,
        mlflow_server(
            proj.path,
            pg.uri("mlflow_db"),
            tmp_path / "artifacts",
            env=proj.env,
            log=logs / "mlflow-server.log",
        ) as server,
    ):
        proj.timings["start postgres + mlflow server"] = time.perf_counter() - started
        proj.env["MLFLOW_TRACKING_URI"] = server.url

        # 1. v1 -> champion, served
        proj.run("make", "pipeline")
        proj.run("make", "promote")
        assert champion(pg) == "1"
        normal = held_out_records(proj, 600)
        with serving(proj, logs / "api-v1.log") as api:
            assert served_version(api) == "1"
            predict(api, normal)
            records = wait_for_logged(proj, len(normal))
            assert {r["model_version"] for r in records} == {"1"}
            # 2. the market moves: drifted traffic -> the drift job fails
            # (make drift passing on undrifted traffic is tests/test_monitoring.py's part)
            predict(api, [DRIFTED] * 600)
            wait_for_logged(proj, len(normal) + 600)
        drift = failing(proj, "make", "drift")
        assert "drift" in drift.lower(), drift
        report = json.loads((proj.path / "reports" / "drift.json").read_text(encoding="utf-8"))
        assert report, "the drift job wrote an empty report"

        # ... -> retrain on fresh data (the data source has new records: another seed)
        set_params(proj, "generate", seed=2024)
        proj.run("make", "retrain")
        proj.run("make", "promote")
        assert champion(pg) == "2"
        with serving(proj, logs / "api-v2.log") as api:
            assert served_version(api) == "2"
            proj.run("make", "smoke", f"URL={api.url}")

        # 3. a wrecked v3 (almost no signal left: C near zero) fails the gate...
        set_params(proj, "train", c=1e-6)
        proj.run("make", "pipeline")
        gate = failing(proj, "make", "promote")
        assert "Validation failed" in gate, gate
        assert champion(pg) == "2"
        # ... and, forced past it, fails the smoke test of the restarted service
        proj.python(
            "from customer_churn.io.registry import move_alias\n"
            f"move_alias('{SLUG}', 'champion', '3', action='force', reason='hotfix, gate skipped')"
        )
        with serving(proj, logs / "api-v3.log") as api:
            assert served_version(api) == "3"
            smoke = failing(proj, "make", "smoke", f"URL={api.url}")
        assert "Smoke test failed: version 3 scores below the minimums live: f1" in smoke, smoke
        refused = failing(proj, "make", "rollback")
        assert "REASON is required" in refused, refused
        proj.run("make", "rollback", "REASON=smoke test failed after the forced deploy")
        assert champion(pg) == "2"
        with serving(proj, logs / "api-v2-again.log") as api:
            assert served_version(api) == "2"

        # 4. the audit trail: every move, in order, with who and why
        moves = json.loads(proj.run("make", "--silent", "audit", "JSON=1").stdout)
    assert [(m["action"], m["from_version"], m["to_version"]) for m in moves] == [
        ("promote", None, "1"),
        ("promote", "1", "2"),
        ("force", "2", "3"),
        ("rollback", "3", "2"),
    ]
    assert moves[1]["reason"].startswith("passed validation"), moves[1]
    assert "vs champion v1" in moves[1]["reason"], moves[1]
    assert moves[3]["reason"] == "smoke test failed after the forced deploy"
    assert all(m["actor"] and m["at"].endswith("Z") for m in moves), moves
    assert [m["at"] for m in moves] == sorted(m["at"] for m in moves)
    assert moves[2]["reason"] == "hotfix, gate skipped"
    print("closed loop timings (s):", json.dumps(proj.timings))
