"""The feature specification: the single source of truth for the data's columns.

Schemas, the model's preprocessing, the synthetic generator and the prediction
input checks are all derived from :data:`FEATURES`. To add or change a column,
change it here first.
"""

from dataclasses import dataclass
from typing import Literal

Kind = Literal["numeric", "categorical", "boolean"]

ID_COLUMN = "customer_id"
TARGET = "churn"


@dataclass(frozen=True)
class Feature:
    """One input column of the model.

    Attributes:
        name: Column name in every CSV file.
        kind: How the model treats the column (scaled, one-hot encoded or passed through).
        dtype: The pandas dtype the column must have after reading.
        description: What the column means, for people.
        min_value: Smallest allowed value (numeric columns only).
        max_value: Largest allowed value (numeric columns only).
        allowed: The allowed values (categorical columns only).
        sensitive: Personal attribute kept for fairness checks but never fed to the model.
    """

    name: str
    kind: Kind
    dtype: str
    description: str
    min_value: float | None = None
    max_value: float | None = None
    allowed: tuple[str, ...] | None = None
    sensitive: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("tenure", "numeric", "int64", "Months the customer has stayed", 0, 72),
    Feature("monthly_charges", "numeric", "float64", "Current monthly bill", 18.0, 120.0),
    Feature("total_charges", "numeric", "float64", "Amount billed so far", 0.0, 10_000.0),
    Feature(
        "gender",
        "categorical",
        "str",
        "Self-reported gender",
        allowed=("female", "male"),
        sensitive=True,
    ),
    Feature("partner", "boolean", "bool", "Has a partner"),
    Feature("dependents", "boolean", "bool", "Has dependents"),
    Feature("phone_service", "boolean", "bool", "Subscribes to phone service"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
COLUMNS: tuple[str, ...] = (ID_COLUMN, *FEATURE_NAMES, TARGET)
SENSITIVE_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.sensitive)


def model_features(kind: Kind) -> list[str]:
    """Return the names of the non-sensitive features of one kind, in spec order.

    Args:
        kind: The kind of feature wanted.

    Returns:
        The column names the model uses for that kind.
    """
    return [f.name for f in FEATURES if f.kind == kind and not f.sensitive]
