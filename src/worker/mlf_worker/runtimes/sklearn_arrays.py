"""scikit-learn linear models' `predict` on a DataFrame, called on the frame's array: the same
result, without ~260 us of input checks a request.

A linear model's predict reads X only through scikit-learn's input validation (`validate_data` ->
`check_array`), which, for a DataFrame of float64 columns, checks the column names against those
seen at fit and then computes on `np.asarray(frame)`. On a small frame those checks (pandas dtypes,
narwhals, the sparse accessor, the name check) are ~75% of the predict (scikit-learn 1.9, pandas 3:
~355 us against ~95 us for the same call on the array). So for the estimators below, when the frame's
columns are exactly the fit's names, all float64, mlf checks the names itself and hands predict
`np.asarray(frame)`, the very array the validation would have computed on; the one warning
scikit-learn gives for an array where the fit saw names is silenced (the names were checked here).
Should that call raise, predict runs again on the frame itself, so that any error is the frame's
own. Any other input, estimator or method goes to predict unchanged.
"""

import warnings

# (module, class) of the estimators whose predict is validate_data(X) then arithmetic on the
# array: LinearModel._decision_function and LinearClassifierMixin.decision_function. Exact
# classes only (a subclass may read X otherwise).
ARRAY_PREDICT_ESTIMATORS = {
    ("sklearn.linear_model._logistic", "LogisticRegression"),
    ("sklearn.linear_model._base", "LinearRegression"),
    ("sklearn.linear_model._ridge", "Ridge"),
    ("sklearn.linear_model._ridge", "RidgeClassifier"),
    ("sklearn.linear_model._coordinate_descent", "Lasso"),
    ("sklearn.linear_model._coordinate_descent", "ElasticNet"),
}
NAMES_WARNING = "X does not have valid feature names"


def predict_function(estimator):
    """`estimator.predict`, through the frame's array where that gives the same result."""
    kind = type(estimator)
    names = getattr(estimator, "feature_names_in_", None)
    if (kind.__module__, kind.__qualname__) not in ARRAY_PREDICT_ESTIMATORS or names is None:
        return lambda data: estimator.predict(data)
    names = list(names)
    if not all(type(name) is str for name in names):
        return lambda data: estimator.predict(data)
    import numpy as np
    import pandas as pd

    float64 = np.dtype("float64")

    def predict(data):
        if not (isinstance(data, pd.DataFrame) and list(data.columns) == names and all(dtype == float64 for dtype in data.dtypes)):
            return estimator.predict(data)
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=NAMES_WARNING, category=UserWarning)
                return estimator.predict(np.asarray(data))
        except Exception:
            return estimator.predict(data)

    return predict
