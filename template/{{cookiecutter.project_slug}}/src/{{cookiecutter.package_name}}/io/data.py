"""Data: the churn sample's generator, a contract-driven one, and validated CSV reading.

The source CSV (your data, or the sample) keeps its own column names; :func:`read_raw`
maps them to the contract's identifiers, derives the 0/1 target from its positive
class and validates the result. Every later file (the splits) uses the identifiers.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..core.contract import SUPPORTED_TASKS, Contract, Feature
from ..core.features import CONTRACT, FEATURES, ID_COLUMN
from ..core.schemas import RAW_SCHEMA, DataValidationError, raw_schema, validate

# The churn sample's own columns: the generator below writes exactly these, whatever
# the project's contract says (sample_contract.yaml describes them).
SAMPLE_COLUMNS = (
    "customer_id",
    "tenure",
    "monthly_charges",
    "total_charges",
    "gender",
    "partner",
    "dependents",
    "phone_service",
    "churn",
)


def generate_customers(n_customers: int, seed: int) -> pd.DataFrame:
    """Make labelled customer records with a realistic churn signal, offline.

    Churn is likelier for new customers with high bills and less likely for customers
    with a partner or dependents; gender carries no signal. The same seed always
    gives the same records.

    Args:
        n_customers: How many records to make.
        seed: Seed of the random generator.

    Returns:
        Records with exactly the sample's columns.
    """
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 73, n_customers)
    monthly_charges = rng.uniform(18.0, 120.0, n_customers).round(2)
    # Past bills vary a little around today's price (discounts, plan changes).
    total_charges = (monthly_charges * tenure * rng.uniform(0.9, 1.1, n_customers)).round(2)
    partner = rng.random(n_customers) < 0.5  # noqa: PLR2004  (half the customers)
    dependents = rng.random(n_customers) < np.where(partner, 0.5, 0.15)
    phone_service = rng.random(n_customers) < 0.9  # noqa: PLR2004  (most customers)
    logit = (
        -0.8
        - 0.06 * (tenure - 24)
        + 0.03 * (monthly_charges - 65)
        - 0.6 * partner
        - 0.5 * dependents
        + 0.3 * phone_service
    )
    churn = (rng.random(n_customers) < 1 / (1 + np.exp(-logit))).astype("int64")
    records = pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(1, n_customers + 1)],
            "tenure": tenure.astype("int64"),
            "monthly_charges": monthly_charges,
            "total_charges": total_charges,
            "gender": rng.choice(["female", "male"], n_customers),
            "partner": partner,
            "dependents": dependents,
            "phone_service": phone_service,
            "churn": churn,
        }
    )
    return records[list(SAMPLE_COLUMNS)]


def synthesize(n_records: int, seed: int, contract: Contract = CONTRACT) -> pd.DataFrame:
    """Make labelled records that satisfy any contract, with a learnable target.

    Tests build their fixtures with it, so they hold whatever table the project uses.
    Values are drawn inside each feature's range or allowed set; the target depends
    on the non-sensitive features, so a model can learn it; nullable features get a
    few missing values, so imputation is exercised.

    Args:
        n_records: How many records to make.
        seed: Seed of the random generator.
        contract: The contract the records must satisfy.

    Returns:
        Records with the contract's identifiers as columns, target as 0/1, as
        :func:`read_csv` returns them.
    """
    rng = np.random.default_rng(seed)
    ids = [f"R{i:06d}" for i in range(1, n_records + 1)]
    columns: dict[str, object] = {contract.id.name: ids}
    signal = np.zeros(n_records)
    for feature in contract.features:
        if feature.kind == "numeric":
            low = feature.min_value if feature.min_value is not None else 0.0
            high = feature.max_value if feature.max_value is not None else low + 100.0
            values = rng.uniform(low, high, n_records)
            if feature.dtype == "int64":
                values = np.clip(np.round(values), np.ceil(low), np.floor(high)).astype("int64")
            share = (values - low) / ((high - low) or 1.0) - 0.5
        elif feature.kind == "categorical":
            allowed = feature.allowed or ("",)
            picks = rng.integers(0, len(allowed), n_records)
            values = np.asarray(allowed, dtype=object)[picks]
            share = picks / max(len(allowed) - 1, 1) - 0.5
        else:
            values = rng.random(n_records) < 0.5  # noqa: PLR2004  (half true)
            share = values - 0.5
        if not feature.sensitive:
            signal += rng.normal(0.0, 2.0) * share
        series = pd.Series(values)
        if feature.nullable:
            series = series.astype("float64" if feature.kind == "numeric" else object)
            series[rng.random(n_records) < 0.05] = None  # noqa: PLR2004  (5% missing)
        columns[feature.name] = series
    # Scale the signal so the classes are neither trivial nor random.
    logit = 3.0 * signal / (signal.std() or 1.0)
    target = (rng.random(n_records) < 1 / (1 + np.exp(-logit))).astype("int64")
    columns[contract.target.name] = target
    # As read_csv gives them: a missing category is the empty string.
    return fill_missing_categories(pd.DataFrame(columns), contract.features)


def read_raw(path: Path, contract: Contract = CONTRACT) -> pd.DataFrame:
    """Read the source CSV, map it to the contract's identifiers and validate it.

    Args:
        path: The source CSV (your data or the sample), with its own column names.
        contract: The contract that maps and checks it.

    Returns:
        The validated records: ID, features and a 0/1 target, under their identifiers.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        DataValidationError: If a column is missing, the target is not binary or a
            value breaks the contract.
    """
    if not path.is_file():
        msg = f"{path} not found"
        raise FileNotFoundError(msg)
    text = {f.source for f in contract.features if f.kind == "categorical"}
    if contract.id.source is not None:
        text.add(contract.id.source)
    data = pd.read_csv(path, dtype=dict.fromkeys(text, str))
    sources = [f.source for f in contract.features] + [contract.target.source or ""]
    if contract.id.source is not None:
        sources.append(contract.id.source)
    missing = [name for name in sources if name not in data.columns]
    if missing:
        problems = [f"column {name!r} is missing (the contract reads it)" for name in missing]
        raise DataValidationError(str(path), problems)
    records = pd.DataFrame({f.name: data[f.source] for f in contract.features}, index=data.index)
    if contract.id.source is None:
        # No ID column: the row number is the ID (stable as long as rows keep their order).
        ids = pd.Series([f"row-{i:07d}" for i in range(1, len(data) + 1)], index=data.index)
    else:
        ids = data[contract.id.source]
    records.insert(0, contract.id.name, ids)
    target = _binary_target(data[contract.target.source or ""], contract, path)
    records[contract.target.name] = target
    schema = RAW_SCHEMA if contract == CONTRACT else raw_schema(contract)
    return fill_missing_categories(validate(records, schema, source=str(path)), contract.features)


def _binary_target(values: pd.Series, contract: Contract, path: Path) -> pd.Series:
    """Map the source target to 1 for the positive class and 0 for the other one."""
    name = contract.target.source
    classes = values.dropna().unique()
    if values.isna().any():
        problems = [f"target column {name!r} is missing in {int(values.isna().sum())} rows"]
        raise DataValidationError(str(path), problems)
    if len(classes) != 2:  # noqa: PLR2004  (binary)
        shown = ", ".join(repr(c) for c in classes[:5])
        supported = ", ".join(SUPPORTED_TASKS)
        problem = (
            f"target column {name!r} has {len(classes)} distinct values ({shown}, ...): "
            f"{contract.task} needs exactly two; supported tasks: {supported}"
        )
        raise DataValidationError(str(path), [problem])
    positive = contract.target.positive
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        hits = values.astype(str) == positive
    else:
        hits = values == float(positive)
    if not hits.any():
        shown = ", ".join(repr(str(c)) for c in classes)
        problem = f"positive class {positive!r} is not a value of {name!r} (values: {shown})"
        raise DataValidationError(str(path), [problem])
    return hits.astype("int64")


def fill_missing_categories(
    records: pd.DataFrame, features: tuple[Feature, ...] = FEATURES
) -> pd.DataFrame:
    """Give missing categorical values the empty string, the model's "missing" category.

    Numeric gaps stay NaN: the model's imputer fills them (it exports to ONNX);
    text cannot be NaN in an ONNX graph, so the empty string stands for missing.

    Args:
        records: Validated records.
        features: The contract's features (default: the project's).

    Returns:
        The same records, categorical gaps filled.
    """
    gaps = {f.name: "" for f in features if f.kind == "categorical" and f.name in records}
    return records.fillna(gaps) if gaps else records


def read_csv(path: Path, schema: pa.DataFrameSchema = RAW_SCHEMA) -> pd.DataFrame:
    """Read records from CSV and validate them straight away.

    Args:
        path: The CSV file.
        schema: The schema the records must satisfy.

    Returns:
        The validated records.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        DataValidationError: If the records break the schema.
    """
    if not path.is_file():
        msg = f"{path} not found"
        raise FileNotFoundError(msg)
    # IDs and categories stay text even when they look like numbers.
    text = [ID_COLUMN, *(f.name for f in FEATURES if f.kind == "categorical")]
    data = pd.read_csv(path, dtype=dict.fromkeys(text, str))
    return fill_missing_categories(validate(data, schema, source=str(path)))


def write_csv(data: pd.DataFrame, path: Path) -> None:
    """Write records to CSV, creating the folder if needed.

    Args:
        data: The records.
        path: Where to write them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data.to_csv(path, index=False)
