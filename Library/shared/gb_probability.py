"""The positive-class probability of a fitted binary gradient-boosting classifier, without its per-call checks.

``GradientBoostingClassifier.predict_proba`` of the handful of events a day spends about four fifths of
its time outside the trees: validating the input, then validating it again for its prior
(``DummyClassifier``) and computing that prior's log-odds, the same number for every row. A
:class:`PositiveProbability` computes the prior's log-odds once and then runs the trees alone, with the
same operations in the same order as ``predict_proba`` (scikit-learn 1.6.1: rows cast to float32,
the prior's clipped log-odds per row, ``predict_stages`` adding every tree's leaf times the learning
rate, the loss's inverse link): the same bits (a test). Those internals change between releases and the
algorithm also runs on QuantConnect's cloud: a model of any other kind, or any scikit-learn but
:data:`VERIFIED_SKLEARN`, goes through ``predict_proba``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn

#: The scikit-learn whose ``predict_proba`` the trees-alone path reproduces bit for bit (test_gb_probability.py)
VERIFIED_SKLEARN = "1.6.1"

try:  # scikit-learn's internals, used only at VERIFIED_SKLEARN
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.ensemble._gb import _init_raw_predictions
    from sklearn.ensemble._gradient_boosting import predict_stages
except ImportError:  # pragma: no cover - another scikit-learn: predict_proba
    GradientBoostingClassifier = DummyClassifier = None  # type: ignore[assignment,misc]


def positive_probability(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``rows -> model.predict_proba(rows)[:, 1]`` for ``rows`` of finite float64 features, shape (n, features).

    The trees alone (:class:`PositiveProbability`) for a binary ``GradientBoostingClassifier`` whose
    prior is a ``DummyClassifier(strategy="prior")`` (its default), on scikit-learn :data:`VERIFIED_SKLEARN`;
    ``predict_proba`` otherwise.
    """
    if (sklearn.__version__ == VERIFIED_SKLEARN and GradientBoostingClassifier is not None
            and type(model) is GradientBoostingClassifier
            and getattr(model, "n_classes_", None) == 2 and type(model.init_) is DummyClassifier
            and model.init_._strategy == "prior"):
        return PositiveProbability(model)
    return lambda rows: model.predict_proba(rows)[:, 1]


class PositiveProbability:
    """A binary gradient-boosting classifier's ``predict_proba(rows)[:, 1]`` from its trees and its prior's
    log-odds, computed once (the prior's ``predict_proba`` is the class prior on every row)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        one_row = np.zeros((1, model.n_features_in_), dtype=np.float32)
        #: the prior's log-odds, clipped as ``_init_raw_predictions`` clips them (elementwise: a row's value
        #: does not depend on the other rows)
        self.prior = float(_init_raw_predictions(one_row, model.init_, model._loss, True)[0, 0])

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        if rows.ndim != 2 or rows.shape[1] != self.model.n_features_in_:
            raise ValueError(f"expected rows of {self.model.n_features_in_} features, got shape {rows.shape}")
        features = np.asarray(rows, dtype=np.float32, order="C")  # predict_proba's validation casts so
        raw = np.full((len(features), 1), self.prior)
        predict_stages(self.model.estimators_, features, self.model.learning_rate, raw)
        return self.model._loss.predict_proba(raw.ravel())[:, 1]
