"""Job: write the churn sample's synthetic data (only ever to the sample's own path)."""

from pathlib import Path

from ..io.data import generate_customers, write_csv
from ..io.params import GenerateParams


def run(params: GenerateParams, output: Path) -> int:
    """Generate raw customer records and write them to CSV.

    Args:
        params: Number of customers and seed.
        output: Where to write the records.

    Returns:
        The number of records written.
    """
    records = generate_customers(params.n_customers, params.seed)
    write_csv(records, output)
    return len(records)
