"""Every radiomix estimator passes scikit-learn's estimator checks (DESIGN.md convention 6)."""

from __future__ import annotations

import pandas as pd
from sklearn.utils.estimator_checks import parametrize_with_checks

from radiomix.learn.selectors import (
    MRMR,
    BorutaSelector,
    CorrelationFilter,
    NearZeroVariance,
    RobustnessFilter,
    UnivariateFilter,
    l1_selector,
    rfe_selector,
)

ESTIMATORS = [
    NearZeroVariance(),
    CorrelationFilter(),
    CorrelationFilter(keep="variance", method="pearson"),
    UnivariateFilter(),
    UnivariateFilter(test="anova", correction="none"),
    MRMR(k=3),
    MRMR(k=2, relevance="mi", redundancy="spearman", scheme="difference", random_state=0),
    MRMR(k=3, relevance="r"),  # a numeric target (regression)
    CorrelationFilter(keep="r"),
    BorutaSelector(n_estimators=10, max_iter=4, random_state=0),
    RobustnessFilter(),
    RobustnessFilter(
        icc_table=pd.DataFrame({"feature": ["x0", "x1"], "icc": [0.9, 0.2]}), missing="keep"
    ),
    l1_selector(C=1.0),
    rfe_selector(n_features=2),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
