"""Predictions for one customer or a batch."""

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse

from ...core.monitoring import count_predictions
from ...schemas import (
    BatchPredictionRequest,
    BatchPredictionResponse,
    PredictionRequest,
    PredictionResponse,
)
from ..deps import ModelDep, SettingsDep

router = APIRouter(prefix="/predict", tags=["predict"])


# The routes build their JSON directly: FastAPI would otherwise validate each answer
# against the response model again (~5% of throughput). response_model keeps the
# OpenAPI schema, which the tests check every answer against.
@router.post("", response_model=PredictionResponse)
async def predict(record: PredictionRequest, model: ModelDep) -> JSONResponse:  # type: ignore[valid-type]
    """Predict whether one customer will churn."""
    probability = model.probability(record)
    prediction = int(probability >= model.info.threshold)
    count_predictions(prediction, 1)
    return JSONResponse(
        {"prediction": prediction, "probability": probability, "model_version": model.info.version}
    )


@router.post("/batch", response_model=BatchPredictionResponse)
async def predict_batch(
    batch: BatchPredictionRequest, model: ModelDep, settings: SettingsDep
) -> JSONResponse:
    """Predict churn for many customers in one vectorised call of the model."""
    count = len(batch.records)
    if count > settings.MAX_BATCH_SIZE:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=[
                {
                    "loc": ["body", "records"],
                    "field": "records",
                    "msg": f"at most {settings.MAX_BATCH_SIZE} records per request "
                    f"(MAX_BATCH_SIZE), got {count}",
                    "type": "too_long",
                }
            ],
        )
    probabilities = model.probabilities(batch.records)
    predictions = (probabilities >= model.info.threshold).astype(int)
    count_predictions(int(predictions.sum()), count)
    return JSONResponse(
        {
            "predictions": [
                {"prediction": p, "probability": q}
                for p, q in zip(predictions.tolist(), probabilities.tolist(), strict=True)
            ],
            "count": count,
            "model_version": model.info.version,
        }
    )
