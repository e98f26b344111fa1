"""Text forms of results for the notebooks: mean ± sd tables."""

import pandas as pd
import pytest

import autorec_common as ac


def runs():
    return pd.DataFrame({"hidden": [500, 500, 500, 10, 10, 10],
                         "seed": [0, 1, 2, 0, 1, 2],
                         "test_rmse": [0.889, 0.891, 0.887, 0.95, 0.96, 0.97],
                         "epochs": [68, 72, 70, 200, 210, 190]})


def test_mean_sd_table_as_the_notebooks_printed_it():
    table = ac.mean_sd_table(runs(), "hidden", {"test_rmse": "test RMSE", "epochs": "epochs"},
                             digits={"epochs": 0}, order=[10, 500])
    assert list(table.index) == [10, 500] and table.index.name == "hidden", table
    assert list(table.columns) == ["test RMSE", "epochs"], table.columns
    assert table.loc[500, "test RMSE"] == "0.8890 ± 0.0020", table
    assert table.loc[10, "epochs"] == "200 ± 10", table
    assert table.attrs["n"] == 3, table.attrs


def test_mean_sd_table_defaults_and_errors():
    table = ac.mean_sd_table(runs(), "hidden", ["test_rmse"], digits=3)
    assert list(table.index) == [500, 10], table          # order of first appearance
    assert table.loc[10, "test_rmse"] == "0.960 ± 0.010", table
    with pytest.raises(KeyError, match="valid_rmse"):
        ac.mean_sd_table(runs(), "hidden", ["valid_rmse"])
    with pytest.raises(KeyError, match="100"):
        ac.mean_sd_table(runs(), "hidden", ["test_rmse"], order=[100])


def test_mean_sd_of_values():
    assert ac.mean_sd([0.889, 0.891, 0.887]) == "0.8890 ± 0.0020"
    assert ac.mean_sd(pd.Series([1.0, 3.0]), digits=1) == "2.0 ± 1.4"
    assert ac.format_mean_sd(0.8893, 0.0018) == "0.8893 ± 0.0018"
