"""Swap tier: real public tables replace the churn sample through `make use-data` only.

Each table ships inside a PyPI package: scikit-learn's breast cancer table (30 numeric
columns whose names hold spaces) and its diabetes table (a continuous target, which must
be refused while regression is not supported); scikit-learn is a dependency of every
rendered project, so its own environment writes the CSVs. The
user's CSV sits outside the project and is checksummed before and after every command.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.projects import CommandError, Project, render_project
from tests.services import call, package_name, uvicorn_app

pytestmark = pytest.mark.swap

# Written by the project's own Python (scikit-learn's bundled CSVs, as load_* reads them).
SKLEARN_TABLE = """
from sklearn.datasets import load_{name}
frame = load_{name}(as_frame=True).frame
{edit}
frame.to_csv("{path}", index=False)
"""
BREAST_CANCER_EDIT = "frame['target'] = frame['target'].map({0: 'malignant', 1: 'benign'})"

# Probabilities of the saved pipeline for the held-out split, as the API must return them.
MODEL_PROBABILITIES = """
import json, joblib
from {package}.core.features import FEATURE_NAMES
from {package}.io.data import read_csv
rows = read_csv(__import__("pathlib").Path("data/processed/test.csv"))
model = joblib.load("models/model.joblib")
print(json.dumps(model.predict_proba(rows[list(FEATURE_NAMES)])[:, 1].tolist()))
"""


def digest(path: Path) -> str:
    """SHA-256 of a file: the user's CSV must never change."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Guarded:
    """Runs commands in a project, checking the user's CSV is unchanged after each one."""

    def __init__(self, proj: Project, csv: Path) -> None:
        self.proj, self.csv, self.expected = proj, csv, digest(csv)

    def run(self, *cmd: str) -> str:
        try:
            done = self.proj.run(*cmd)
            return done.stdout + done.stderr  # the CLI reports on stderr
        finally:
            assert digest(self.csv) == self.expected, f"{' '.join(cmd)} changed {self.csv}"


def installed(tmp_path: Path, level: str) -> Project:
    proj = render_project(tmp_path, {"maturity_level": level})
    proj.run("make", "install")
    return proj


CASES = {
    # 30 numeric columns named with spaces, no ID column, a text target
    "breast-cancer-level-2": ("2", "breast_cancer", ["TARGET=target", "POSITIVE=malignant"]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_real_table_replaces_the_sample(case: str, tmp_path: Path) -> None:
    level, table, arguments = CASES[case]
    proj = installed(tmp_path, level)
    user = tmp_path / "user"
    user.mkdir()
    csv = user / f"{table}.csv"
    proj.python(SKLEARN_TABLE.format(name=table, edit=BREAST_CANCER_EDIT, path=csv))
    guarded = Guarded(proj, csv)

    # when the user points the project at the table, twice (idempotent)
    guarded.run("make", "use-data", f"CSV={csv}", *arguments)
    contract = (proj.path / "src" / package_name(proj.path) / "contract.yaml").read_bytes()
    guarded.run("make", "use-data", f"CSV={csv}", *arguments)
    assert (proj.path / "src" / package_name(proj.path) / "contract.yaml").read_bytes() == contract
    copy = proj.path / "data" / "raw" / csv.name
    assert digest(copy) == guarded.expected
    assert (copy.parent / f"{csv.name}.dvc").is_file(), "use-data versions the copy with DVC"

    # then the pipeline runs on it, the project's own tests and lint pass with no other edit
    guarded.run("make", "pipeline")
    guarded.run("make", "test")
    guarded.run("make", "lint")
    metrics = json.loads((proj.path / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["roc_auc"] >= 0.9, metrics  # both tables separate their classes well
    assert digest(copy) == guarded.expected

    # and the service scores its rows as the trained pipeline does
    package = package_name(proj.path)
    expected = json.loads(proj.python(MODEL_PROBABILITIES.format(package=package)))
    records = json.loads(
        proj.python(
            "import json; from pathlib import Path\n"
            f"from {package}.core.features import FEATURE_NAMES\n"
            f"from {package}.io.data import read_csv\n"
            "rows = read_csv(Path('data/processed/test.csv'))[list(FEATURE_NAMES)]\n"
            "print(rows.to_json(orient='records'))"
        )
    )
    records = [{k: (None if v == "" else v) for k, v in r.items()} for r in records]
    env = {**proj.env, "MODEL_URI": "models"}  # the folder the pipeline wrote
    with uvicorn_app(proj.path, env, log=tmp_path / "api.log") as api:
        single = call("POST", api.url + "/predict", json.dumps(records[0]))
        assert single.status == 200, single.text
        assert abs(single.json()["probability"] - expected[0]) <= 1e-5
        # repeat the held-out rows so the drift job has enough logged records
        repeated = (records * (1 + 150 // len(records)))[:150]
        batch = call("POST", api.url + "/predict/batch", json.dumps({"records": repeated}))
        assert batch.status == 200, batch.text
        served = [p["probability"] for p in batch.json()["predictions"]]
        wanted = (expected * (1 + 150 // len(expected)))[:150]
        assert max(abs(a - b) for a, b in zip(served, wanted, strict=True)) <= 1e-5
    # and going back to the sample leaves the user's copy and its pointer in place
    guarded.run("make", "use-data", "SAMPLE=1")
    assert digest(copy) == guarded.expected
    print(f"{case} timings (s):", json.dumps(proj.timings))


def test_a_continuous_target_is_refused_with_the_supported_tasks(tmp_path: Path) -> None:
    proj = installed(tmp_path, "2")
    user = tmp_path / "user"
    user.mkdir()
    csv = user / "diabetes.csv"
    proj.python(SKLEARN_TABLE.format(name="diabetes", edit="", path=csv))
    guarded = Guarded(proj, csv)
    contract = proj.path / "src" / package_name(proj.path) / "contract.yaml"
    before = contract.read_bytes()

    with pytest.raises(CommandError) as refused:
        guarded.run("make", "use-data", f"CSV={csv}", "TARGET=target")

    message = str(refused.value)
    assert "a continuous target (regression) is not supported" in message, message
    assert "supported tasks: binary_classification" in message, message
    assert "Traceback" not in message, message
    # nothing was written: same contract, no copy
    assert contract.read_bytes() == before
    assert not (proj.path / "data" / "raw").exists()
