"""Request and response schemas; the request's fields are generated from the data contract.

There is no second list of fields to keep in step: :data:`PredictionRequest` has one
field per feature of ``contract.yaml``, with its type, range or allowed values; a
nullable feature must still be sent, and may be null.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..core.features import FEATURES, Feature

# Python type of each dtype of the spec (categorical features become a Literal).
_PYTHON_TYPES: dict[str, type] = {"int64": int, "float64": float, "bool": bool}
# Forbid unknown fields, NaN and infinity; values are never coerced from text.
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def _field(feature: Feature) -> tuple[Any, Any]:
    """Return the (type, constraints) pair of one feature, as ``create_model`` takes it."""
    kind: Any = Literal[feature.allowed] if feature.allowed is not None else None
    if kind is not None:
        return (kind | None if feature.nullable else kind), Field(description=feature.description)
    kind = _PYTHON_TYPES[feature.dtype]
    # Strict: "12" is not a number and 1 is not a boolean (an int still counts as a float).
    return (kind | None if feature.nullable else kind), Field(
        strict=True,
        ge=feature.min_value,
        le=feature.max_value,
        description=feature.description,
    )


def _example(feature: Feature) -> object:
    """A valid value of one feature, for the API documentation."""
    if feature.allowed is not None:
        return feature.allowed[0]
    if feature.kind == "boolean":
        return True
    value = ((feature.min_value or 0) + (feature.max_value or 0)) / 2
    return int(value) if feature.dtype.startswith("int") else value


# One record to score: every feature of the contract, nothing else.
PredictionRequest: type[BaseModel] = create_model(
    "PredictionRequest",
    __config__=ConfigDict(
        **_STRICT, json_schema_extra={"examples": [{f.name: _example(f) for f in FEATURES}]}
    ),
    __doc__="One record to score: every feature of the contract, nothing else.",
    **{feature.name: _field(feature) for feature in FEATURES},
)


class BatchPredictionRequest(BaseModel):
    """Many customers to score in one call."""

    model_config = _STRICT

    records: list[PredictionRequest] = Field(min_length=1)  # type: ignore[valid-type]


class Prediction(BaseModel):
    """The prediction for one customer."""

    prediction: Literal[0, 1] = Field(description="1 if the customer is predicted to churn")
    probability: float = Field(ge=0, le=1, description="Probability of churn")


class PredictionResponse(Prediction):
    """Answer to one customer: the prediction and the model version that made it."""

    model_version: str


class BatchPredictionResponse(BaseModel):
    """Answer to a batch: one prediction per record, in order."""

    predictions: list[Prediction]
    count: int
    model_version: str


class HealthResponse(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    """Readiness: a model is loaded."""

    status: Literal["ready"] = "ready"
    model_version: str


class MetadataResponse(BaseModel):
    """What model is served and what its input looks like."""

    model_name: str | None
    model_version: str
    model_alias: str | None
    model_uri: str
    threshold: float
    metrics: dict[str, float]
    features: dict[str, Any] = Field(description="JSON schema of a prediction request")
    app_version: str
