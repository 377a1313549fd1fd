"""Job: score a batch of customers from CSV and write predictions to CSV."""

from pathlib import Path

import joblib
import pandas as pd
from sklearn.pipeline import Pipeline

from ..core.features import FEATURE_NAMES, ID_COLUMN
from ..core.schemas import INPUT_SCHEMA
from ..io.data import read_csv, write_csv


def load_local_model(model_path: Path) -> Pipeline:
    """Load a pipeline saved by the train job.

    Args:
        model_path: The joblib file.

    Returns:
        The fitted pipeline.

    Raises:
        FileNotFoundError: If the model has not been trained yet.
    """
    if not model_path.is_file():
        msg = f"{model_path} not found; train a model first"
        raise FileNotFoundError(msg)
    return joblib.load(model_path)


def predict(model: Pipeline, records: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Score records with a fitted pipeline.

    Args:
        model: The fitted pipeline.
        records: Validated records holding every feature.
        threshold: Probability from which a customer is predicted to churn.

    Returns:
        The ID column (when present), ``prediction`` (0 or 1) and ``probability``.
    """
    probability = model.predict_proba(records[list(FEATURE_NAMES)])[:, 1]
    predictions = pd.DataFrame(
        {"prediction": (probability >= threshold).astype(int), "probability": probability.round(6)},
        index=records.index,
    )
    if ID_COLUMN in records:
        predictions.insert(0, ID_COLUMN, records[ID_COLUMN])
    return predictions


def run(model: Pipeline, input_path: Path, output_path: Path, threshold: float) -> int:
    """Validate a batch CSV against the feature spec, score it and write the result.

    Args:
        model: The fitted pipeline.
        input_path: CSV with one row per customer and every feature column.
        output_path: Where to write the predictions.
        threshold: Probability from which a customer is predicted to churn.

    Returns:
        The number of records scored.
    """
    records = read_csv(input_path, INPUT_SCHEMA)
    predictions = predict(model, records, threshold)
    write_csv(predictions, output_path)
    return len(predictions)
