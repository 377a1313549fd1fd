"""The prediction service: a FastAPI app that runs the model's ONNX export.

It imports nothing of training (no pandas, scikit-learn or MLflow server), so its image
installs only the ``serve`` dependency group. Start it with ``make serve``.
"""
