"""shared.gb_probability: the trees alone give predict_proba's positive-class probability to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from shared import gb_probability
from shared.gb_probability import VERIFIED_SKLEARN, PositiveProbability, positive_probability


def _data(seed: int, rows: int = 400, features: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)) * rng.uniform(0.01, 100.0, size=features)
    y = (x[:, 0] / x[:, 0].std() + 0.5 * x[:, 1] / x[:, 1].std() + rng.normal(size=rows) > 0.8).astype(int)
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trees_alone_equal_predict_proba_bit_for_bit(seed):
    x, y = _data(seed)
    model = GradientBoostingClassifier(n_estimators=60, max_depth=3, learning_rate=0.07, random_state=seed).fit(x, y)
    score = positive_probability(model)
    assert isinstance(score, PositiveProbability)
    # the prior is a clipped log-odds of the class share: not zero for unbalanced labels
    assert score.prior == pytest.approx(np.log(y.mean() / (1 - y.mean())))
    fresh = _data(seed + 100, rows=257)[0]
    for rows in (fresh[:1], fresh[:2], fresh[:7], fresh):
        expected = model.predict_proba(rows)[:, 1]
        got = score(rows)
        assert got.dtype == np.float64 and got.shape == (len(rows),)
        assert got.tobytes() == expected.tobytes()
    assert 0.0 < score(fresh).min() < score(fresh).max() < 1.0


def test_other_models_go_through_predict_proba():
    x, y = _data(3)
    zero_prior = GradientBoostingClassifier(n_estimators=10, init="zero", random_state=0).fit(x, y)
    logistic = LogisticRegression().fit(x, y)
    for model in (zero_prior, logistic):
        score = positive_probability(model)
        assert not isinstance(score, PositiveProbability)
        assert score(x[:5]).tobytes() == model.predict_proba(x[:5])[:, 1].tobytes()


@pytest.mark.parametrize("version", ["1.6.0", "1.7.1"])
def test_another_scikit_learn_goes_through_predict_proba(monkeypatch, version):
    x, y = _data(5)
    model = GradientBoostingClassifier(n_estimators=10, random_state=0).fit(x, y)
    assert isinstance(positive_probability(model), PositiveProbability)
    monkeypatch.setattr(gb_probability.sklearn, "__version__", version)
    assert VERIFIED_SKLEARN != version
    score = positive_probability(model)
    assert not isinstance(score, PositiveProbability)
    assert score(x[:5]).tobytes() == model.predict_proba(x[:5])[:, 1].tobytes()


def test_rows_of_another_width_are_refused():
    x, y = _data(4)
    score = positive_probability(GradientBoostingClassifier(n_estimators=5, random_state=0).fit(x, y))
    with pytest.raises(ValueError, match="6 features"):
        score(x[:3, :5])
