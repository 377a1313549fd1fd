"""Infer a data contract from a table: kinds, dtypes, categories, ranges and gaps.

Used by ``make use-data``. Everything it cannot support is refused with the next step
to take, before any file is written.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ..core.contract import SUPPORTED_TASKS, Column, Contract, ContractError, Feature, Target
from ..core.contract import identifier as to_identifier

MAX_CATEGORIES = 50  # more distinct text values than this is free text or an ID
RANGE_MARGIN = 0.1  # ranges widen by this share of the observed span, each side
# float32 (the ONNX graph's number type) keeps ~7 significant digits: a column whose
# values are large next to their spread loses its signal in the graph.
MAX_OFFSET_RATIO = 1e4


def infer_contract(  # noqa: PLR0913  (one option per make use-data argument)
    table: pd.DataFrame,
    *,
    data: str,
    target: str,
    positive: str | None = None,
    id_column: str | None = None,
    sensitive: Sequence[str] = (),
    drop: Sequence[str] = (),
) -> Contract:
    """Describe ``table`` as a contract.

    Args:
        table: The table as pandas reads it (default dtypes).
        data: Where the pipeline will read it, relative to the project root.
        target: The source column to predict.
        positive: The target value counted as positive (default: the larger or
            ``True``-like of the two values).
        id_column: The source column identifying a row (default: row numbers).
        sensitive: Source columns kept for fairness checks and never learned.
        drop: Source columns to leave out.

    Returns:
        The contract.

    Raises:
        ContractError: If a named column is missing or the table cannot be supported,
            with what to do instead.
    """
    named = [target, *([id_column] if id_column else []), *sensitive, *drop]
    missing = [name for name in named if name not in table.columns]
    if missing:
        msg = f"no column {', '.join(map(repr, missing))} in the CSV; its columns: " + ", ".join(
            map(repr, table.columns)
        )
        raise ContractError(msg)
    target_values = table[target]
    positive = _positive(target_values, target, positive)
    if id_column is not None and not table[id_column].is_unique:
        msg = f"ID column {id_column!r} has repeated values: pass a unique column as ID, or none"
        raise ContractError(msg)
    used = {target, *([id_column] if id_column else []), *drop}
    features = [
        _feature(table[name], name, sensitive=name in sensitive)
        for name in table.columns
        if name not in used
    ]
    if not features:
        msg = "no feature column left: the CSV needs at least one column besides ID and target"
        raise ContractError(msg)
    id_name = to_identifier(id_column) if id_column else "row_id"
    _check_identifiers([id_name, *(f.name for f in features), to_identifier(target)])
    try:
        return Contract(
            task="binary_classification",
            data=data,
            sample=False,
            id=Column(name=id_name, source=id_column),
            target=Target(name=to_identifier(target), source=target, positive=positive),
            features=tuple(features),
        )
    except ValidationError as error:
        raise ContractError(str(error)) from None


def _positive(values: pd.Series, name: str, positive: str | None) -> str:
    if values.isna().any():
        msg = (
            f"target {name!r} is missing in {int(values.isna().sum())} rows: "
            "remove those rows from a copy of the CSV and use that copy"
        )
        raise ContractError(msg)
    classes = sorted(values.unique(), key=str)
    if len(classes) != 2:  # noqa: PLR2004  (binary)
        continuous = pd.api.types.is_float_dtype(values) and len(classes) > MAX_CATEGORIES
        what = "a continuous target (regression)" if continuous else f"{len(classes)} classes"
        msg = (
            f"target {name!r} has {len(classes)} distinct values: {what} is not supported; "
            f"supported tasks: {', '.join(SUPPORTED_TASKS)} (a target with exactly two values). "
            "Derive a two-valued column (say, above/below a threshold) in a copy of the CSV "
            "and pass it as TARGET"
        )
        raise ContractError(msg)
    texts = [str(c) for c in classes]
    if positive is None:
        # True, 1, yes... sort last: the larger of the two is the positive class.
        return "True" if "True" in texts else texts[-1]
    if positive not in texts:
        msg = f"POSITIVE={positive!r} is not a value of {name!r}; its values: {', '.join(texts)}"
        raise ContractError(msg)
    return positive


def _feature(values: pd.Series, name: str, *, sensitive: bool) -> Feature:
    common = {
        "name": to_identifier(name),
        "source": name,
        "nullable": bool(values.isna().any()),
        "sensitive": sensitive,
        "description": f"{name} (inferred by make use-data)",
    }
    present = values.dropna()
    if present.empty:
        msg = f"column {name!r} is empty: leave it out with DROP={name!r}"
        raise ContractError(msg)
    if pd.api.types.is_bool_dtype(values):
        return Feature(kind="boolean", dtype="bool", **common)
    if pd.api.types.is_numeric_dtype(values):
        return _numeric(present, name, common)
    categories = sorted({str(v) for v in present})
    if len(categories) > MAX_CATEGORIES:
        msg = (
            f"column {name!r} has {len(categories)} distinct text values (at most "
            f"{MAX_CATEGORIES} are supported for a categorical feature): free text or an "
            f"identifier; leave it out with DROP={name!r}, or pass it as ID={name!r}"
        )
        raise ContractError(msg)
    return Feature(kind="categorical", dtype="str", allowed=tuple(categories), **common)


def _numeric(present: pd.Series, name: str, common: dict[str, object]) -> Feature:
    low, high = float(present.min()), float(present.max())
    spread = float(present.std()) or 1.0
    if max(abs(low), abs(high)) / spread > MAX_OFFSET_RATIO:
        msg = (
            f"column {name!r} holds values around {high:.6g} that vary by only ~{spread:.3g}: "
            "the model's ONNX export computes in float32, which cannot keep that precision. "
            "Subtract a reference value (or convert, e.g. timestamps to days since a date) "
            f"in a copy of the CSV, or leave it out with DROP={name!r}"
        )
        raise ContractError(msg)
    margin = (high - low) * RANGE_MARGIN or abs(high) * RANGE_MARGIN or 1.0
    # A column that is never negative stays so (counts, amounts).
    lower = max(low - margin, 0.0) if low >= 0 else low - margin
    upper = high + margin
    if pd.api.types.is_integer_dtype(present):
        return Feature(
            kind="numeric",
            dtype="int64",
            min_value=float(np.floor(lower)),
            max_value=float(np.ceil(upper)),
            **common,
        )
    return Feature(
        kind="numeric",
        dtype="float64",
        min_value=_round(lower, down=True),
        max_value=_round(upper, down=False),
        **common,
    )


def _round(value: float, *, down: bool) -> float:
    """Round outward to 4 significant digits, so the contract stays readable."""
    if value == 0:
        return 0.0
    scale = 10 ** (np.floor(np.log10(abs(value))) - 3)
    return round(float((np.floor if down else np.ceil)(value / scale) * scale), 12)


def _check_identifiers(names: list[str]) -> None:
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        msg = (
            f"several columns become the same identifier ({', '.join(clashes)}): rename "
            "one of them in a copy of the CSV, or leave it out with DROP=..."
        )
        raise ContractError(msg)
