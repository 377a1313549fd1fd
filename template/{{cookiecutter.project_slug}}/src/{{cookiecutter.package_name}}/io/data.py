"""Customer data: a deterministic synthetic generator and validated CSV reading/writing."""

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..core.features import COLUMNS, ID_COLUMN, TARGET
from ..core.schemas import RAW_SCHEMA, validate


def generate_customers(n_customers: int, seed: int) -> pd.DataFrame:
    """Make labelled customer records with a realistic churn signal, offline.

    Churn is likelier for new customers with high bills and less likely for customers
    with a partner or dependents; gender carries no signal. The same seed always
    gives the same records.

    Args:
        n_customers: How many records to make.
        seed: Seed of the random generator.

    Returns:
        Records with exactly the columns of the feature spec.
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
            ID_COLUMN: [f"C{i:06d}" for i in range(1, n_customers + 1)],
            "tenure": tenure.astype("int64"),
            "monthly_charges": monthly_charges,
            "total_charges": total_charges,
            "gender": rng.choice(["female", "male"], n_customers),
            "partner": partner,
            "dependents": dependents,
            "phone_service": phone_service,
            TARGET: churn,
        }
    )
    return records[list(COLUMNS)]


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
    # IDs stay text even when they look like numbers.
    data = pd.read_csv(path, dtype={ID_COLUMN: str})
    return validate(data, schema, source=str(path))


def write_csv(data: pd.DataFrame, path: Path) -> None:
    """Write records to CSV, creating the folder if needed.

    Args:
        data: The records.
        path: Where to write them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data.to_csv(path, index=False)
