"""Classification metrics, plot data and the promotion rule."""

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

Direction = Literal["maximize", "minimize"]


def scores(y_true: np.ndarray, y_score: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Score churn probabilities against the true labels.

    Args:
        y_true: True labels (0 or 1).
        y_score: Predicted probability of churn.
        threshold: Probability from which a customer is predicted to churn.

    Returns:
        ROC AUC (threshold-free) and accuracy, precision, recall and F1 at ``threshold``.
    """
    y_pred = (y_score >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(y_true, y_score)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
    }


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, int]:
    """Count true/false positives and negatives.

    Args:
        y_true: True labels (0 or 1).
        y_pred: Predicted labels (0 or 1).

    Returns:
        The four cells of the confusion matrix, by name.
    """
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return {
        "true_negative": int(tn),
        "false_positive": int(fp),
        "false_negative": int(fn),
        "true_positive": int(tp),
    }


def roc_points(y_true: np.ndarray, y_score: np.ndarray) -> pd.DataFrame:
    """Return the ROC curve as a table with columns ``fpr``, ``tpr`` and ``threshold``.

    Args:
        y_true: True labels (0 or 1).
        y_score: Predicted probability of churn.

    Returns:
        One row per threshold, ready to plot.
    """
    fpr, tpr, thresholds = roc_curve(y_true, y_score)
    # roc_curve starts at threshold +inf, which CSV and JSON cannot carry portably.
    thresholds = np.minimum(thresholds, 1.0)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})


def at_least_as_good(
    candidate: float, incumbent: float, direction: Direction, tolerance: float = 0.0
) -> bool:
    """Tell whether a candidate score may replace the incumbent's.

    Args:
        candidate: The challenger's score.
        incumbent: The champion's score.
        direction: Whether higher (``maximize``) or lower (``minimize``) is better.
        tolerance: How much worse the candidate may be and still count as good enough.

    Returns:
        True when the candidate is at least as good, within ``tolerance``.
    """
    if direction == "maximize":
        return candidate >= incumbent - tolerance
    return candidate <= incumbent + tolerance


def group_key(attribute: str, group: str, metric: str) -> str:
    """Name of a run metric for one group of a sensitive attribute: ``group.gender.female.f1``."""
    return f"group.{attribute}.{group}.{metric}"


def gap_key(attribute: str, metric: str) -> str:
    """Name of a run metric for the gap between groups (best minus worst): ``gap.gender.f1``."""
    return f"gap.{attribute}.{metric}"
