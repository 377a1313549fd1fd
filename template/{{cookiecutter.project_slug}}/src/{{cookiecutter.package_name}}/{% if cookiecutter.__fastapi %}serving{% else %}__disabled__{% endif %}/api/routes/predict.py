"""Predictions for one customer or a batch."""

from fastapi import APIRouter, HTTPException, status

from ...core.monitoring import count_predictions
from ...schemas import (
    BatchPredictionRequest,
    BatchPredictionResponse,
    Prediction,
    PredictionRequest,
    PredictionResponse,
)
from ..deps import ModelDep, SettingsDep

router = APIRouter(prefix="/predict", tags=["predict"])


@router.post("")
async def predict(record: PredictionRequest, model: ModelDep) -> PredictionResponse:  # type: ignore[valid-type]
    """Predict whether one customer will churn."""
    probability = model.probability(record)
    prediction = int(probability >= model.info.threshold)
    count_predictions(prediction, 1)
    return PredictionResponse(
        prediction=prediction, probability=probability, model_version=model.info.version
    )


@router.post("/batch")
async def predict_batch(
    batch: BatchPredictionRequest, model: ModelDep, settings: SettingsDep
) -> BatchPredictionResponse:
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
    return BatchPredictionResponse(
        predictions=[
            Prediction(prediction=p, probability=q)
            for p, q in zip(predictions.tolist(), probabilities.tolist(), strict=True)
        ],
        count=count,
        model_version=model.info.version,
    )
