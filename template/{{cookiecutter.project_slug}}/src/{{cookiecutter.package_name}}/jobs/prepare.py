"""Job: validate the raw data and split it into train and test sets."""

from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

from ..core.features import TARGET
from ..io.data import read_raw, write_csv
from ..io.params import PrepareParams


@dataclass(frozen=True)
class PrepareResult:
    """Sizes of the two splits."""

    train_rows: int
    test_rows: int


def run(params: PrepareParams, raw: Path, train_output: Path, test_output: Path) -> PrepareResult:
    """Read and validate raw records, then write a stratified train/test split.

    Args:
        params: Test share and seed.
        raw: The source CSV file (the contract's ``data``), under its own column names.
        train_output: Where to write the training records.
        test_output: Where to write the held-out records.

    Returns:
        The size of each split.
    """
    records = read_raw(raw)
    # Stratify so both splits keep the churn rate of the whole data.
    train, test = train_test_split(
        records, test_size=params.test_size, random_state=params.seed, stratify=records[TARGET]
    )
    write_csv(train, train_output)
    write_csv(test, test_output)
    return PrepareResult(len(train), len(test))
