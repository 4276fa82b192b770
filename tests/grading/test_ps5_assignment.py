"""Problem set 5 (communities of practice and value-chain governance): the answer key agrees with
the reference package.

Release, validation, exact grades, alternative solutions and feedback of every problem set are
checked in test_assignments.py; the planted mistake is ``SPECS["ps5"].planted``
(tests/grading/conftest.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from conftest import COURSE, load_nb, src
from grading.conftest import SPECS, solution_namespace

ASSIGNMENT = "ps5"
PLANTED = SPECS[ASSIGNMENT].planted


def test_governance_table_is_presented_with_its_verification_status():
    """The governance table is the course's, not presented as the paper's own table."""
    nb = load_nb(COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    text = " ".join(" ".join(src(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "table used in this course" in text and "could not read the article's own table" in text


def _solution_namespace(edits: dict[str, tuple[str, str]] | None = None) -> dict:
    return solution_namespace(ASSIGNMENT, edits)


def test_answer_key_matches_reference_package():
    from learning_dynamics import community, governance

    ns = _solution_namespace()
    for args, seed in [((4, 16, 0.9, 0.25, 0.05), 2013), ((3, 12, 0.7, 0.1, 0.1), 8), ((1, 5, 1.0, 0.0, 0.0), 2),
                       ((6, 0, 0.5, 0.5, 0.5), 9)]:
        mine = ns["core_periphery_network"](*args, np.random.default_rng(seed))
        ref = community.core_periphery_network(*args, seed=np.random.default_rng(seed))
        assert np.array_equal(mine, ref), (args, seed)
        for s in (0.0, 0.3, 1.0):
            assert np.allclose(ns["trust_matrix"](mine, s), community.trust_matrix(ref, s))
    adjacency = community.core_periphery_network(4, 16, 0.9, 0.25, 0.05, seed=2013)
    w = community.trust_matrix(adjacency, 0.4)
    b0 = np.random.default_rng(1).random((20, 3))
    assert np.allclose(ns["degroot"](w, b0, 25), community.degroot(w, b0, 25))
    assert np.allclose(ns["degroot"](w, b0[:, 0], 25), community.degroot(w, b0[:, 0], 25))
    for kw in [dict(steps=40, initial_tie=0.05, max_tie=0.5, participation_sensitivity=0.25),
               dict(steps=12, initial_tie=0.2, max_tie=0.9, participation_sensitivity=2.0,
                    initial_knowledge=3.0, core_knowledge=-1.0)]:
        pd.testing.assert_frame_equal(ns["newcomer_trajectory"](**kw), community.newcomer_trajectory(**kw),
                                      check_dtype=False)

    key_mine = ns["key_determinants_table"]()
    key_ref = governance.key_determinants_table()
    pd.testing.assert_frame_equal(key_mine, key_ref[key_mine.columns], check_dtype=False)
    for combo in itertools.product(("high", "low"), repeat=3):
        assert ns["classify"](*combo) == governance.classify(*combo), combo
    links = ns["make_links"]()
    classified = ns["classify_links"](links)
    ref_types = governance.classify_frame(links, "complexity", "codifiability", "capability")
    assert list(classified["governance_type"]) == list(ref_types)
    ref_rank = [governance.coordination_rank(t) if t in governance.GOVERNANCE_TYPES else np.nan
                for t in ref_types]
    assert np.allclose(classified["coordination_rank"], ref_rank, equal_nan=True)
    summary = ns["summarise_by_sector"](classified)
    for sector, group in links.assign(t=ref_types).groupby("sector"):
        assert summary.loc[sector, "n_links"] == len(group)
        assert np.isclose(summary.loc[sector, "share_captive"], (group["t"] == "captive").mean())
        assert np.isclose(summary.loc[sector, "share_governed"],
                          group["t"].isin(governance.GOVERNANCE_TYPES).mean())


def test_answer_key_comparison_can_fail():
    """A key with the planted mistakes disagrees with the reference package."""
    from learning_dynamics import community, governance

    ns = _solution_namespace(PLANTED)
    adjacency = community.core_periphery_network(4, 16, 0.9, 0.25, 0.05, seed=2013)
    assert not np.allclose(ns["trust_matrix"](adjacency, 0.5), community.trust_matrix(adjacency, 0.5))
    assert ns["classify"]("low", "high", "low") != governance.classify("low", "high", "low")
