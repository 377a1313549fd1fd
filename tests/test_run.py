"""Run tier: render projects and run them as a user would, with real processes.

Each case renders once (copier; the render tier proves cookiecutter gives the same
tree), commits it to a fresh git repository, then drives the project's own tasks:
install from the lock, lint, its own tests, its pipeline, the MLflow registry.
All projects share uv's cache, so only the first install downloads anything.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.projects import Project, render_project
from tests.rendering import resolve

pytestmark = pytest.mark.run

CASES = {
    "level0": {"maturity_level": "0"},
    "level1": {"maturity_level": "1"},
    # every component on: the project's whole suite (serving, drift, Feast, governance...)
    "level3": {"maturity_level": "3"},
    # each component without the other, on the oldest and newest supported Pythons
    "level0-mlflow-py310": {"maturity_level": "0", "use_mlflow": "true", "python_version": "3.10"},
    "level1-dvc-only-py313": {
        "maturity_level": "1",
        "use_mlflow": "false",
        "python_version": "3.13",
    },
}


LOAD_AND_PREDICT = """
import mlflow, pandas as pd
model = mlflow.pyfunc.load_model("models:/{name}@{alias}")
rows = pd.read_csv("data/processed/test.csv").head(25)
predictions = model.predict(rows.drop(columns=["churn"]))
assert len(predictions) == 25 and set(map(int, predictions)) <= {{0, 1}}, predictions
client = mlflow.MlflowClient()
print(client.get_model_version_by_alias("{name}", "{alias}").version)
"""


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_project_runs_end_to_end(case: str, tmp_path: Path) -> None:
    answers = CASES[case]
    components = resolve(answers)
    dvc_on, mlflow_on = components["dvc"], components["mlflow"]
    proj = render_project(tmp_path, answers)

    # given a fresh render committed to git, when the user installs it
    proj.run("make", "install")
    assert (proj.path / "uv.lock").is_file(), "make install must create the lock to commit"
    proj.run("uv", "sync", "--locked")  # the lock agrees with pyproject.toml

    # then it lints clean and its own test suite passes
    proj.run("make", "lint")
    proj.run("make", "test")

    # and its pipeline trains a model that beats the bar on held-out data
    if dvc_on:
        proj.run("make", "pipeline")
        again = proj.run("uv", "run", "--frozen", "dvc", "repro")
        assert "Data and pipelines are up to date" in again.stdout, again.stdout
        check_dvc_remote(proj)
    else:
        proj.run("make", "train")
    metrics = json.loads((proj.path / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["roc_auc"] >= 0.75, metrics

    # batch predictions from the CLI
    proj.run("make", "predict")
    predictions = (proj.path / "data" / "predictions.csv").read_text(encoding="utf-8")
    assert len(predictions.splitlines()) > 100, predictions[:500]

    if mlflow_on:
        name = answers.get("project_slug", "customer-churn")
        challenger = proj.python(LOAD_AND_PREDICT.format(name=name, alias="challenger")).strip()
        proj.run("make", "promote")
        champion = proj.python(LOAD_AND_PREDICT.format(name=name, alias="champion")).strip()
        assert champion == challenger, (champion, challenger)

    # the git hooks work offline on everything the project holds
    proj.run("git", "add", "-A")
    proj.run("uv", "run", "--frozen", "pre-commit", "run", "--all-files")
    print(f"{case} timings (s):", json.dumps({k: round(v, 1) for k, v in proj.timings.items()}))


def check_dvc_remote(proj: Project) -> None:
    """Push to the default local remote, lose the cache and outputs, pull them back."""
    proj.run("uv", "run", "--frozen", "dvc", "push")
    raw = proj.path / "data" / "sample" / "customers.csv"
    before = raw.read_bytes()
    shutil.rmtree(proj.path / ".dvc" / "cache")
    shutil.rmtree(proj.path / "data")
    proj.run("uv", "run", "--frozen", "dvc", "pull")
    assert raw.read_bytes() == before
