"""The features of the data contract, as the rest of the package uses them.

Everything here is derived from ``contract.yaml`` (see :mod:`.contract`): schemas, the
model's preprocessing, the prediction input checks, drift and the feature store all
follow it. To add or change a column, change the contract (or run make use-data).
"""

from ..core.contract import Contract, Feature, Kind, load_contract

__all__ = [
    "COLUMNS",
    "CONTRACT",
    "FEATURES",
    "FEATURE_NAMES",
    "ID_COLUMN",
    "SENSITIVE_FEATURES",
    "TARGET",
    "Feature",
    "model_features",
]

CONTRACT: Contract = load_contract()
ID_COLUMN: str = CONTRACT.id.name
TARGET: str = CONTRACT.target.name
FEATURES: tuple[Feature, ...] = CONTRACT.features
FEATURE_NAMES: tuple[str, ...] = tuple(feature.name for feature in FEATURES)
COLUMNS: tuple[str, ...] = (ID_COLUMN, *FEATURE_NAMES, TARGET)
SENSITIVE_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.sensitive)


def model_features(kind: Kind) -> list[str]:
    """Return the names of the non-sensitive features of one kind, in contract order.

    Args:
        kind: The kind of feature wanted.

    Returns:
        The column names the model uses for that kind.
    """
    return [f.name for f in FEATURES if f.kind == kind and not f.sensitive]
