"""The data contract: what the project's table looks like, in one file you read and edit.

``contract.yaml`` (beside this package's ``__init__.py``, so it ships with the package
and the service reads the same file as training) names the ID column, the target and
its positive class, the task and every feature: its kind, dtype, allowed values or
range, whether it may be missing, whether it is sensitive, and the column it comes
from in the source CSV. Schemas, the model's preprocessing, the request model, the
test fixtures, drift and the feature store are all derived from it.

``make use-data`` writes it from a CSV (:mod:`..io.contract_inference`); the churn
sample's own contract is ``sample_contract.yaml``.
"""

import keyword
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..core.errors import UserError

CONTRACT_FILE = Path(__file__).resolve().parents[1] / "contract.yaml"
SAMPLE_CONTRACT_FILE = Path(__file__).resolve().parents[1] / "sample_contract.yaml"
SUPPORTED_TASKS = ("binary_classification",)

Kind = Literal["numeric", "categorical", "boolean"]
Dtype = Literal["int64", "float64", "bool", "str"]
_KIND_DTYPES = {"numeric": {"int64", "float64"}, "categorical": {"str"}, "boolean": {"bool"}}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class ContractError(UserError):
    """The data contract is unreadable or inconsistent; the message says what to fix."""


class _Strict(BaseModel):
    # Typos fail loudly instead of being ignored; nothing is coerced from text.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Feature(_Strict):
    """One input column of the model."""

    name: str = Field(description="Identifier used everywhere after reading (snake_case)")
    source: str = Field(description="Column name in the source CSV")
    kind: Kind = Field(description="How the model treats it: scaled, one-hot encoded or 0/1")
    dtype: Dtype = Field(description="Type of the column after reading")
    description: str = ""
    min_value: float | None = None
    max_value: float | None = None
    # YAML gives lists; a tuple keeps the contract immutable.
    allowed: tuple[str, ...] | None = Field(default=None, strict=False)
    nullable: bool = Field(default=False, description="May be missing (then imputed)")
    sensitive: bool = Field(default=False, description="Kept for fairness checks, never learned")

    @model_validator(mode="after")
    def _consistent(self) -> "Feature":
        if not _IDENTIFIER.match(self.name) or keyword.iskeyword(self.name):
            msg = f"feature name {self.name!r} is not a snake_case identifier"
            raise ValueError(msg)
        if self.dtype not in _KIND_DTYPES[self.kind]:
            allowed = " or ".join(sorted(_KIND_DTYPES[self.kind]))
            msg = f"feature {self.name!r}: a {self.kind} feature has dtype {allowed}"
            raise ValueError(msg)
        if self.kind == "categorical" and not self.allowed:
            msg = f"feature {self.name!r}: a categorical feature lists its allowed values"
            raise ValueError(msg)
        if self.kind != "categorical" and self.allowed is not None:
            msg = f"feature {self.name!r}: only categorical features list allowed values"
            raise ValueError(msg)
        if self.kind != "numeric" and (self.min_value, self.max_value) != (None, None):
            msg = f"feature {self.name!r}: only numeric features have a range"
            raise ValueError(msg)
        return self


class Column(_Strict):
    """The ID or target column: its identifier and the source column it comes from."""

    name: str
    source: str | None = Field(
        default=None, description="Source CSV column; for the ID, none means row numbers"
    )


class Target(Column):
    """The column to predict."""

    positive: str = Field(description="The source value counted as the positive class")


class Contract(_Strict):
    """The whole table: where it is, its ID, its target, its task and its features."""

    task: str = Field(description="What the model predicts; see SUPPORTED_TASKS")
    data: str = Field(description="The CSV the pipeline reads, relative to the project root")
    sample: bool = Field(description="The data is the generated sample (make train makes it)")
    id: Column
    target: Target
    features: tuple[Feature, ...] = Field(min_length=1, strict=False)

    @model_validator(mode="after")
    def _consistent(self) -> "Contract":
        if self.task not in SUPPORTED_TASKS:
            msg = f"task {self.task!r} is not supported; supported tasks: " + ", ".join(
                SUPPORTED_TASKS
            )
            raise ValueError(msg)
        names = [self.id.name, *(f.name for f in self.features), self.target.name]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"column names used twice: {', '.join(duplicates)}"
            raise ValueError(msg)
        return self

    @property
    def entity(self) -> str:
        """What one row is about, from the ID column: ``customer_id`` -> ``customer``."""
        return self.id.name.removesuffix("_id") or self.id.name


def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    """Load and check a contract.

    Args:
        path: The YAML file.

    Returns:
        The validated contract.

    Raises:
        ContractError: If the file is missing, not YAML, or breaks a rule.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Contract.model_validate(raw)
    except FileNotFoundError:
        msg = f"{path} not found: run make use-data (or make use-data SAMPLE=1)"
        raise ContractError(msg) from None
    except yaml.YAMLError as error:
        msg = f"{path} is not valid YAML: {error}"
        raise ContractError(msg) from None
    except ValidationError as error:
        problems = "\n".join(
            f"  - {'.'.join(map(str, e['loc'])) or 'contract'}: {e['msg']}" for e in error.errors()
        )
        msg = f"{path} is invalid:\n{problems}"
        raise ContractError(msg) from None


def identifier(name: str) -> str:
    """Turn a column name into the snake_case identifier used after reading.

    ``"Mean Radius"`` -> ``mean_radius``; ``"2nd-try"`` -> ``c_2nd_try``. Training,
    serving and the contract all use this one function, so they always agree.

    Args:
        name: The source column name.

    Returns:
        A lowercase identifier that is not a Python keyword.
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower() or "column"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = f"c_{text}"
    return text
