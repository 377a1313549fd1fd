"""The model: a scikit-learn pipeline whose preprocessing is built from the data contract."""

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..core.features import model_features


def build_model(c: float, max_iter: int, seed: int) -> Pipeline:
    """Build an unfitted binary classifier.

    Sensitive features are left out by the column transformer (``remainder="drop"``),
    so the model accepts every feature of the contract but never learns from them.
    Missing numbers are imputed with the training median inside the pipeline (so the
    ONNX export does it too); missing categories arrive as the empty string, a
    category of its own (see ``io.data.fill_missing_categories``).

    Args:
        c: Inverse regularisation strength of the logistic regression.
        max_iter: Iteration budget of the solver.
        seed: Random state, for reproducible fits.

    Returns:
        A pipeline with ``fit``, ``predict`` and ``predict_proba``.
    """
    groups = [
        (
            "numeric",
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            model_features("numeric"),
        ),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), model_features("categorical")),
        ("boolean", "passthrough", model_features("boolean")),
    ]
    preprocess = ColumnTransformer(
        [(name, step, columns) for name, step, columns in groups if columns],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    classifier = LogisticRegression(C=c, max_iter=max_iter, random_state=seed)
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])
