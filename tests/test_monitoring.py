"""Level 3 monitoring: prediction log, drift job, alert rules and dashboard, run for real.

The lint part renders the level-3 project and runs promtool on its alert rules (syntax,
the Prometheus config that loads them, and their unit tests). The run part installs and
trains a level-3 project, serves it with uvicorn on 127.0.0.1, sends real predictions,
reads the JSON Lines log the API wrote, and runs `make drift` on undrifted and then on
shifted traffic (exit 0, then exit 1), checking the reports and the drift gauges on
/metrics. Every metric the alert rules and the Grafana dashboard query must be one the
live service exports.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.benchmarks.serve_bench import held_out_records
from tests.projects import Project, render_project
from tests.rendering import TOGGLES
from tests.services import HttpService, call, uvicorn_app

LEVEL_3 = {"maturity_level": "3", **dict.fromkeys(TOGGLES, "auto")}
PROMETHEUS = Path("docker") / "prometheus"
DASHBOARDS = Path("docker") / "grafana" / "dashboards"
NORMAL, SHIFTED = 300, 600  # records sent before and after the inputs shift
RECORD_KEYS = ["timestamp", "model_version", "features", "prediction", "probability"]
# PromQL words that are not metric names: functions are told apart by their "(".
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or"}
PROMQL_WORDS |= {"unless", "offset", "bool", "inf", "nan"}
PROMETHEUS_OWN = {"up"}  # series Prometheus makes itself for every target


def promtool(*args: str, cwd: Path) -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool not found: apt-get install prometheus (.ci/run installs it)"
    proc = subprocess.run(
        [tool, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"promtool {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.mark.lint
def test_alert_rules_pass_promtool(renders: Any) -> None:
    project = renders.get("copier", LEVEL_3)
    promtool("check", "rules", str(PROMETHEUS / "alerts.yml"), cwd=project)
    # the config Prometheus runs with loads the rules (paths resolve against it)
    config = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"), cwd=project)
    assert "alerts.yml" in config
    report = promtool("test", "rules", str(PROMETHEUS / "alerts.test.yml"), cwd=project)
    assert "SUCCESS" in report
    # every alert has a unit test that expects it to fire
    rules = yaml.safe_load((project / PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((project / PROMETHEUS / "alerts.test.yml").read_text("utf-8"))
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert alerts == fired, f"alerts never tested firing: {sorted(alerts - fired)}"


@pytest.mark.lint
def test_grafana_provisioning_points_at_the_dashboards(renders: Any) -> None:
    project = renders.get("copier", LEVEL_3)
    grafana = project / "docker" / "grafana"
    sources = yaml.safe_load((grafana / "provisioning/datasources/prometheus.yml").read_text())
    (source,) = sources["datasources"]
    assert source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((grafana / "provisioning/dashboards/dashboards.yml").read_text())
    (provider,) = providers["providers"]
    grafana_service = yaml.safe_load((project / "compose.yaml").read_text())["services"]["grafana"]
    assert (
        f"./docker/grafana/dashboards:{provider['options']['path']}:ro"
        in (grafana_service["volumes"])
    )
    for path in (project / DASHBOARDS).glob("*.json"):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads (functions, keywords and labels left out)."""
    expr = re.sub(r'"[^"]*"', "", expr)  # label values and strings
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)  # grouping labels
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    words = re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", expr)
    return {word for word, call_ in words if not call_ and word.lower() not in PROMQL_WORDS}


def test_metric_names_are_found_in_promql() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{le="1"}'
        "[5m]))) > 0.25 and on() up == 1 or vector(0) - time() - a_b_total offset 5m"
    )
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "up", "a_b_total"}


def queried_metrics(project: Path) -> dict[str, set[str]]:
    """Metric names each alert rule and dashboard panel of the project queries."""
    queried: dict[str, set[str]] = {}
    rules = yaml.safe_load((project / PROMETHEUS / "alerts.yml").read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            queried[f"alert {rule['alert']}"] = metric_names(rule["expr"])
    for path in (project / DASHBOARDS).glob("*.json"):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            names = set().union(*(metric_names(t["expr"]) for t in panel["targets"]))
            queried[f"{path.name}: {panel['title']}"] = names
    return queried


def exported_metrics(metrics_text: str) -> set[str]:
    """Metric names in a Prometheus text exposition: sample names and declared families."""
    names = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


# -- the run tier ----------------------------------------------------------------------------


def drift(proj: Project) -> subprocess.CompletedProcess[str]:
    """Run `make drift` as a user does; return the result, whatever its exit code."""
    return subprocess.run(
        ["make", "drift"],
        cwd=proj.path,
        env=proj.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def logged_records(proj: Project) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted((proj.path / "logs" / "predictions").glob("predictions-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def wait_for_records(proj: Project, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The log is written by a background thread: wait until it holds ``count`` records."""
    deadline = time.monotonic() + timeout
    while len(records := logged_records(proj)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(records) == count, f"{len(records)} records logged, expected {count}"
    return records


def shift(record: dict[str, Any]) -> dict[str, Any]:
    """A customer unlike the training data: long-standing, expensive, single, no phone."""
    return {
        **record,
        "tenure": min(record["tenure"] + 40, 72),
        "monthly_charges": min(round(record["monthly_charges"] * 1.6, 2), 120.0),
        "partner": False,
        "phone_service": False,
    }


def metrics_of(api: HttpService) -> str:
    reply = call("GET", api.url + "/metrics")
    assert reply.status == 200
    return reply.text


def sample(metrics_text: str, name: str) -> float:
    match = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", metrics_text, flags=re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


@pytest.mark.run
def test_logged_traffic_drives_the_drift_job_alerts_and_dashboard(tmp_path: Path) -> None:
    proj = render_project(tmp_path, LEVEL_3)
    proj.run("make", "install")
    proj.run("make", "train")

    # no traffic yet: a clear message, not a traceback
    empty = drift(proj)
    assert empty.returncode != 0
    assert "Drift check failed: no prediction log in logs/predictions/" in empty.stderr
    assert "Traceback" not in empty.stderr

    records = held_out_records(proj.path, NORMAL + SHIFTED)
    env = {**proj.env, "MODEL_URI": "models"}  # the folder make train wrote
    with uvicorn_app(proj.path, env) as api:
        # normal traffic: one by one, then one batch
        single = [call("POST", api.url + "/predict", json.dumps(r)) for r in records[:100]]
        batch = call(
            "POST", api.url + "/predict/batch", json.dumps({"records": records[100:NORMAL]})
        )
        assert {r.status for r in single} == {200}
        assert batch.status == 200
        answers = [r.json() for r in single] + batch.json()["predictions"]
        logged = wait_for_records(proj, NORMAL)
        check_log_records(logged, records[:NORMAL], answers, single[0].json()["model_version"])

        calm = drift(proj)
        assert calm.returncode == 0, calm.stdout + calm.stderr
        assert "No drift" in calm.stderr
        for name in ("drift.html", "drift.json", "drift-summary.json"):
            assert (proj.path / "reports" / name).stat().st_size > 0, name
        text = metrics_of(api)
        assert sample(text, "model_drift_detected") == 0
        assert sample(text, "prediction_log_records_total") == NORMAL

        # the inputs shift
        shifted = [shift(r) for r in records[NORMAL:]]
        reply = call("POST", api.url + "/predict/batch", json.dumps({"records": shifted}))
        assert reply.status == 200
        wait_for_records(proj, NORMAL + SHIFTED)

        drifted = drift(proj)
        assert drifted.returncode != 0
        assert "Drift check failed: drift in" in drifted.stderr
        assert "Traceback" not in drifted.stderr
        summary = json.loads((proj.path / "reports" / "drift-summary.json").read_text("utf-8"))
        assert summary["detected"] is True
        assert {"tenure", "monthly_charges", "partner", "phone_service"} <= set(
            summary["drifted_columns"]
        )
        text = metrics_of(api)
        assert sample(text, "model_drift_detected") == 1
        assert sample(text, "model_drift_share") == summary["share"] >= summary["threshold"]
        assert sample(text, "prediction_log_dropped_total") == 0
        assert time.time() - sample(text, "model_created_timestamp_seconds") < 3600

        # the alert rules and the dashboard query only metrics the service exports
        exported = exported_metrics(text) | PROMETHEUS_OWN
        for where, names in queried_metrics(proj.path).items():
            assert names, f"{where} queries no metric"
            assert names <= exported, f"{where} queries unknown {sorted(names - exported)}"


def check_log_records(
    logged: list[dict[str, Any]],
    sent: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    version: str,
) -> None:
    """The log holds one record per scored row, in order, exactly as the API answered."""
    assert [list(r) for r in logged] == [RECORD_KEYS] * len(sent)
    assert [r["features"] for r in logged] == sent
    assert [r["prediction"] for r in logged] == [a["prediction"] for a in answers]
    assert [r["probability"] for r in logged] == [a["probability"] for a in answers]
    assert {r["model_version"] for r in logged} == {version}
    stamps = [datetime.fromisoformat(r["timestamp"]) for r in logged]
    assert all(s.utcoffset() == timedelta(0) for s in stamps)
    assert stamps == sorted(stamps)
