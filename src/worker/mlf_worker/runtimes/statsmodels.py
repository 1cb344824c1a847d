"""The statsmodels flavor without mlflow, after mlflow/statsmodels/__init__.py (MLflow 3.17.2):
`_load_model` (statsmodels' `load_pickle` of the pyfunc data file, behind the pickle gate) and
`_StatsmodelsModelWrapper.predict` (a time-series model predicts from the one row's `start` and
`end`, any other results object on the DataFrame)."""

from ..errors import LoadFailure
from .flavor_files import pyfunc_data_path, require_pickle_allowed
from .without_mlflow import FlavorRuntime

TIME_SERIES_INPUT = (
    "prediction dataframes for a TimeSeriesModel must have exactly one row and include columns called start and end"
)


class TimeSeriesInputError(ValueError):
    """MLflow raises an MlflowException with this message; the model's own failure to mlf."""


def load_statsmodels(model):
    require_pickle_allowed()
    path = pyfunc_data_path(model)
    import statsmodels.iolib.api as smio

    try:
        results = smio.load_pickle(path)
    except Exception as e:
        raise LoadFailure(e, path)
    from statsmodels.tsa.base.tsa_model import TimeSeriesModel

    if not isinstance(results.model, TimeSeriesModel):
        return lambda data: results.predict(data)

    def predict_time_series(data):
        if data.shape[0] != 1 or not ("start" in data.columns and "end" in data.columns):
            raise TimeSeriesInputError(TIME_SERIES_INPUT)
        return results.predict(start=data["start"][0], end=data["end"][0])

    return predict_time_series


class StatsmodelsRuntime(FlavorRuntime):
    name = "statsmodels"
    takes_tensor_signatures = True
    load_predict_fn = staticmethod(load_statsmodels)
