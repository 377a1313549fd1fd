"""Pandera schemas derived from the data contract, and a readable validator."""

import pandas as pd
import pandera.pandas as pa

from ..core.contract import Contract
from ..core.errors import UserError
from ..core.features import CONTRACT, FEATURES, ID_COLUMN, Feature


class DataValidationError(UserError):
    """Data broke its schema; the message names each column and rule broken."""

    def __init__(self, source: str, problems: list[str]) -> None:
        """Keep the problems and build one readable message.

        Args:
            source: What was validated (a file name or a description).
            problems: One line per column and rule broken.
        """
        self.problems = problems
        super().__init__(f"{source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def _bound(feature: Feature, value: float) -> float:
    """A range bound in the column's own type, so messages read ``ge(0)`` for counts."""
    return int(value) if feature.dtype == "int64" and value.is_integer() else value


def _column(feature: Feature) -> pa.Column:
    checks = []
    if feature.min_value is not None:
        checks.append(pa.Check.ge(_bound(feature, feature.min_value)))
    if feature.max_value is not None:
        checks.append(pa.Check.le(_bound(feature, feature.max_value)))
    if feature.allowed is not None:
        checks.append(pa.Check.isin(feature.allowed))
    # Only floats are coerced: an integer-looking column of a float feature is fine,
    # but coercing text to bool or int would silently hide broken data.
    return pa.Column(
        feature.dtype,
        checks=checks,
        nullable=feature.nullable,
        coerce=feature.dtype.startswith("float"),
        description=feature.description,
    )


_FEATURE_COLUMNS = {feature.name: _column(feature) for feature in FEATURES}


def raw_schema(contract: Contract) -> pa.DataFrameSchema:
    """The schema of a contract's labelled records: its columns, nothing else.

    Args:
        contract: The data contract.

    Returns:
        The schema, ID and target included (the target as 0/1).
    """
    return pa.DataFrameSchema(
        {
            contract.id.name: pa.Column(str, unique=True, nullable=False),
            **{feature.name: _column(feature) for feature in contract.features},
            contract.target.name: pa.Column("int64", pa.Check.isin([0, 1]), nullable=False),
        },
        strict=True,
        name=f"labelled {contract.entity} records",
    )


RAW_SCHEMA = raw_schema(CONTRACT)
"""Labelled records of the project's contract: exactly its columns, nothing else."""

INPUT_SCHEMA = pa.DataFrameSchema(
    {ID_COLUMN: pa.Column(str, required=False), **_FEATURE_COLUMNS},
    strict=False,
    name="prediction input",
)
"""Records to score: every feature must be present; other columns are carried along."""


def validate(data: pd.DataFrame, schema: pa.DataFrameSchema, source: str) -> pd.DataFrame:
    """Validate ``data`` against ``schema``, reporting every problem at once.

    Args:
        data: The records to check.
        schema: The schema they must satisfy.
        source: Where the records came from, used in the error message.

    Returns:
        The validated (and, for float columns, coerced) records.

    Raises:
        DataValidationError: If any column breaks a rule.
    """
    try:
        return schema.validate(data, lazy=True)
    except pa.errors.SchemaErrors as error:
        raise DataValidationError(source, _describe(error.failure_cases)) from None


def _describe(failures: pd.DataFrame) -> list[str]:
    problems = []
    for (column, check), cases in failures.groupby(["column", "check"], dropna=False, sort=False):
        examples = ", ".join(repr(case) for case in cases["failure_case"].head(3))
        if pd.isna(column):
            # Frame-level failures (an unexpected or missing column) name it in the case.
            problems.append(f"{check}: {examples}")
        else:
            rows = f"{len(cases)} row{'s' if len(cases) > 1 else ''}"
            problems.append(f"column '{column}' breaks rule {check} ({rows}, e.g. {examples})")
    return problems
