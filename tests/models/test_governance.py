"""Tests for learning_dynamics.governance (Gereffi, Humphrey and Sturgeon 2005)."""

import numpy as np
import pandas as pd
import pytest

from learning_dynamics import governance as gv


@pytest.mark.parametrize(
    "combo, expected",
    [
        (("low", "high", "high"), "market"),
        (("high", "high", "high"), "modular"),
        (("high", "low", "high"), "relational"),
        (("high", "high", "low"), "captive"),
        (("high", "low", "low"), "hierarchy"),
        (("low", "low", "high"), gv.NOT_EXPECTED),
        (("low", "low", "low"), gv.NOT_EXPECTED),
        (("low", "high", "low"), gv.EXCLUSION),
    ],
)
def test_classify_all_eight_combinations(combo, expected):
    assert gv.classify(*combo) == expected


def test_classify_accepts_bools_and_case():
    assert gv.classify(True, True, False) == "captive"
    assert gv.classify(" HIGH", "Low", np.bool_(True)) == "relational"


@pytest.mark.parametrize("bad", ["medium", None, np.nan, 1, "", "hi"])
def test_classify_rejects_bad_levels(bad):
    with pytest.raises(ValueError):
        gv.classify(bad, "high", "high")


def test_key_table_shape_and_order():
    t = gv.key_determinants_table()
    assert list(t.index) == ["market", "modular", "relational", "captive", "hierarchy"]
    assert t["coordination_rank"].tolist() == [1, 2, 3, 4, 5]
    assert t.loc["market", "explicit_coordination_and_power_asymmetry"] == "low"
    assert t.loc["hierarchy", "explicit_coordination_and_power_asymmetry"] == "high"
    # the table and classify() agree
    for gtype, row in t.iterrows():
        assert gv.classify(
            row["complexity_of_transactions"],
            row["ability_to_codify_transactions"],
            row["capabilities_in_supply_base"],
        ) == gtype


def test_all_combinations_table():
    t = gv.all_combinations_table()
    assert len(t) == 8
    assert t["is_governance_type"].sum() == 5
    assert (t["outcome"] == gv.NOT_EXPECTED).sum() == 2
    assert (t["outcome"] == gv.EXCLUSION).sum() == 1
    combos = t[["complexity_of_transactions", "ability_to_codify_transactions", "capabilities_in_supply_base"]]
    assert not combos.duplicated().any()


def test_tables_are_fresh_copies():
    t = gv.key_determinants_table()
    t.loc["market", "coordination_rank"] = 99
    assert gv.key_determinants_table().loc["market", "coordination_rank"] == 1


def test_coordination_rank():
    assert gv.coordination_rank("market") == 1
    assert gv.coordination_rank("Hierarchy") == 5
    for bad in (gv.EXCLUSION, "network", 3):
        with pytest.raises(ValueError):
            gv.coordination_rank(bad)


def test_classify_frame():
    df = pd.DataFrame(
        {"complexity": ["high", "low"], "codifiability": ["low", "high"], "capability": ["high", "high"]},
        index=["a", "b"],
    )
    out = gv.classify_frame(df)
    assert out.to_dict() == {"a": "relational", "b": "market"}
    with pytest.raises(ValueError, match="row 'b'"):
        gv.classify_frame(df.assign(capability=["high", "maybe"]))
    with pytest.raises(ValueError):
        gv.classify_frame(df.drop(columns="capability"))
    with pytest.raises(ValueError):
        gv.classify_frame(df.iloc[0:0])
    with pytest.raises(ValueError):
        gv.classify_frame([["high", "low", "high"]])


def test_cases_consistent_with_classification():
    cases = gv.cases_table()
    assert {"case", "reported_governance", "source"} <= set(cases.columns)
    assert cases["source"].str.len().min() > 10
    coded = cases.dropna(subset=["complexity", "codifiability", "capability"])
    assert len(coded) >= 3
    predicted = gv.classify_frame(coded)
    assert (predicted == coded["reported_governance"]).all()
