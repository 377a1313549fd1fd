"""Job: score the saved model on the held-out split; write metrics and plot data."""

import json
from dataclasses import dataclass
from pathlib import Path

import joblib
import pandas as pd

from ..core.features import FEATURE_NAMES, TARGET
from ..core.metrics import confusion, roc_points, scores
from ..io.data import read_csv, write_csv
from ..io.params import EvaluateParams


@dataclass(frozen=True)
class EvaluationFiles:
    """Where the evaluation writes its results.

    Attributes:
        metrics: Metrics and confusion matrix (JSON).
        roc: ROC curve points (CSV: fpr, tpr, threshold).
        confusion: One row per record (CSV: actual, predicted), the layout DVC's
            confusion-matrix plot reads.
    """

    metrics: Path
    roc: Path
    confusion: Path


def run(
    params: EvaluateParams, model_path: Path, test_data: Path, outputs: EvaluationFiles
) -> dict[str, float]:
    """Evaluate the model and write ``metrics.json``, ROC points and confusion data.

    Args:
        params: Decision threshold.
        model_path: The saved pipeline.
        test_data: The held-out CSV file.
        outputs: Where to write the results.

    Returns:
        The metrics.

    Raises:
        FileNotFoundError: If the model has not been trained yet.
    """
    if not model_path.is_file():
        msg = f"{model_path} not found; train a model first"
        raise FileNotFoundError(msg)
    model = joblib.load(model_path)
    test = read_csv(test_data)
    y_true = test[TARGET].to_numpy()
    y_score = model.predict_proba(test[list(FEATURE_NAMES)])[:, 1]
    y_pred = (y_score >= params.threshold).astype(int)

    metrics = scores(y_true, y_score, params.threshold)
    report = {**metrics, "confusion_matrix": confusion(y_true, y_pred)}
    outputs.metrics.parent.mkdir(parents=True, exist_ok=True)
    outputs.metrics.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_csv(roc_points(y_true, y_score).round(6), outputs.roc)
    write_csv(pd.DataFrame({"actual": y_true, "predicted": y_pred}), outputs.confusion)
    return metrics
