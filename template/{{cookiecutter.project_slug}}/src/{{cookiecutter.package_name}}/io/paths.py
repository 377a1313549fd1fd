"""Default file locations, relative to the project root (where commands are run).

``dvc.yaml`` and the Makefile use the same paths; change them together.
"""

from pathlib import Path

PARAMS = Path("params.yaml")
# The churn sample's CSV (make train / the generate stage write it, nothing else does).
# The CSV the pipeline reads is the contract's `data` (contract.yaml); make use-data
# copies yours to data/raw/ and points the contract at it.
SAMPLE_DATA = Path("data/sample/customers.csv")
USER_DATA_DIR = Path("data/raw")
TRAIN_DATA = Path("data/processed/train.csv")
TEST_DATA = Path("data/processed/test.csv")
MODEL = Path("models/model.joblib")
METRICS = Path("metrics.json")
ROC_PLOT = Path("plots/roc.csv")
CONFUSION_PLOT = Path("plots/confusion.csv")
PREDICTIONS = Path("data/predictions.csv")
VALIDATION_REPORT = Path("reports/validation.md")
# Drift monitoring (make drift): Evidently's report and the verdict the service exports.
DRIFT_HTML = Path("reports/drift.html")
DRIFT_JSON = Path("reports/drift.json")
DRIFT_SUMMARY = Path("reports/drift-summary.json")

# Governance (make model-card): what people write about the model, and the generated card.
MODEL_CARD_INFO = Path("model_card.yaml")
MODEL_CARD = Path("reports/model_card.md")  # with model_card.html and model_card.json beside it
