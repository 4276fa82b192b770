"""Global value chain governance types from three determinants (Gereffi, Humphrey and Sturgeon 2005).

The theory
----------
Gereffi, Humphrey and Sturgeon (2005) identify three variables that shape how a
global value chain is governed: (1) the complexity of transactions, (2) the ability to
codify transactions and (3) the capabilities in the supply base. Rating each as high
or low yields five governance types which, in the words of their abstract, "range from
high to low levels of explicit coordination and power asymmetry": hierarchy, captive,
relational, modular and market. The key table maps determinants to types:

=============  ==========  ==============  ==========  ==========================
type           complexity  codifiability   capability  coordination / asymmetry
=============  ==========  ==============  ==========  ==========================
market         low         high            high        lowest (rank 1)
modular        high        high            high        rank 2
relational     high        low             high        rank 3
captive        high        high            low         rank 4
hierarchy      high        low             low         highest (rank 5)
=============  ==========  ==============  ==========  ==========================

Of the eight high/low combinations, the remaining three produce no governance type:
low complexity with low codifiability (two combinations) is treated as not expected
to occur, and low complexity with high codifiability but low supplier capability
leads to the supplier's exclusion from the value chain rather than to a governance
form.

Verification status (read this before citing the table). The article's bibliographic
data and the five-type ordering by explicit coordination and power asymmetry were
checked against the published abstract. The market and modular rows agree with
secondary descriptions of the framework (USAID Value Chain Wiki, "Types of value chain
governance"). The other cells and the treatment of the three remaining combinations
follow the paper's key table as it is commonly reproduced, but we could not read the
table itself in the sources available while building this module; check them against
the article (their Table 1) before relying on them.

Source
------
G. Gereffi, J. Humphrey and T. Sturgeon (2005), "The governance of global value
chains", *Review of International Political Economy* 12(1): 78-104,
doi:10.1080/09692290500049805.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "GOVERNANCE_TYPES",
    "NOT_EXPECTED",
    "EXCLUSION",
    "key_determinants_table",
    "all_combinations_table",
    "classify",
    "classify_frame",
    "coordination_rank",
    "cases_table",
]

#: The five governance types, from lowest to highest explicit coordination and power asymmetry.
GOVERNANCE_TYPES: tuple[str, ...] = ("market", "modular", "relational", "captive", "hierarchy")

#: Outcome label for low complexity combined with low codifiability.
NOT_EXPECTED = "not expected to occur"

#: Outcome label for low complexity, high codifiability and low supplier capability.
EXCLUSION = "exclusion from the value chain"

# (complexity, codifiability, capability) -> outcome, with True meaning "high".
_MAPPING: dict[tuple[bool, bool, bool], str] = {
    (False, True, True): "market",
    (True, True, True): "modular",
    (True, False, True): "relational",
    (True, True, False): "captive",
    (True, False, False): "hierarchy",
    (False, False, True): NOT_EXPECTED,
    (False, False, False): NOT_EXPECTED,
    (False, True, False): EXCLUSION,
}

_LEVELS = {"high": True, "low": False}


def _level(value, name: str) -> bool:
    """Parse 'high'/'low' (any case, surrounding spaces ignored) or a bool (True = high)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _LEVELS:
            return _LEVELS[key]
    raise ValueError(f"{name} must be 'high' or 'low' (or a bool, True = high); got {value!r}")


def _word(flag: bool) -> str:
    return "high" if flag else "low"


def key_determinants_table() -> pd.DataFrame:
    """The five governance types and their determinants, as a DataFrame.

    Returns
    -------
    pandas.DataFrame, shape (5, 5)
        Index ``governance_type`` (``market`` .. ``hierarchy``); columns
        ``complexity_of_transactions``, ``ability_to_codify_transactions``,
        ``capabilities_in_supply_base`` (each ``"high"``/``"low"``),
        ``explicit_coordination_and_power_asymmetry`` (``"low"`` for market,
        ``"high"`` for hierarchy, ``"intermediate"`` otherwise) and
        ``coordination_rank`` (1 = lowest, 5 = highest). A fresh copy on every call.

    Source
    ------
    Gereffi, Humphrey and Sturgeon (2005), RIPE 12(1): 78-104, key table; see the
    module docstring for what was and was not verified.
    """
    rows = []
    for rank, gtype in enumerate(GOVERNANCE_TYPES, start=1):
        combo = next(k for k, v in _MAPPING.items() if v == gtype)
        rows.append(
            {
                "governance_type": gtype,
                "complexity_of_transactions": _word(combo[0]),
                "ability_to_codify_transactions": _word(combo[1]),
                "capabilities_in_supply_base": _word(combo[2]),
                "explicit_coordination_and_power_asymmetry": (
                    "low" if rank == 1 else "high" if rank == len(GOVERNANCE_TYPES) else "intermediate"
                ),
                "coordination_rank": rank,
            }
        )
    return pd.DataFrame(rows).set_index("governance_type")


def all_combinations_table() -> pd.DataFrame:
    """All eight high/low combinations of the three determinants and their outcome.

    Returns
    -------
    pandas.DataFrame, shape (8, 5)
        Columns ``complexity_of_transactions``, ``ability_to_codify_transactions``,
        ``capabilities_in_supply_base`` (``"high"``/``"low"``), ``outcome`` (a
        governance type, :data:`NOT_EXPECTED` or :data:`EXCLUSION`) and
        ``is_governance_type`` (bool). Rows ordered with complexity, then
        codifiability, then capability, each high before low.

    Source
    ------
    Gereffi, Humphrey and Sturgeon (2005), RIPE 12(1): 78-104; see the module
    docstring for verification status.
    """
    rows = []
    for cx in (True, False):
        for cd in (True, False):
            for cp in (True, False):
                outcome = _MAPPING[(cx, cd, cp)]
                rows.append(
                    {
                        "complexity_of_transactions": _word(cx),
                        "ability_to_codify_transactions": _word(cd),
                        "capabilities_in_supply_base": _word(cp),
                        "outcome": outcome,
                        "is_governance_type": outcome in GOVERNANCE_TYPES,
                    }
                )
    return pd.DataFrame(rows)


def classify(complexity, codifiability, capability) -> str:
    """Governance outcome for one combination of the three determinants.

    Parameters
    ----------
    complexity : {"high", "low"} or bool
        Complexity of transactions (True means high). Strings are case-insensitive.
    codifiability : {"high", "low"} or bool
        Ability to codify transactions.
    capability : {"high", "low"} or bool
        Capabilities in the supply base.

    Returns
    -------
    str
        One of :data:`GOVERNANCE_TYPES` (``"market"``, ``"modular"``,
        ``"relational"``, ``"captive"``, ``"hierarchy"``), or :data:`NOT_EXPECTED`
        (low complexity with low codifiability), or :data:`EXCLUSION` (low
        complexity, high codifiability, low capability).

    Raises
    ------
    ValueError
        If any argument is not ``"high"``, ``"low"`` or a bool (NaN and None included).

    Source
    ------
    Gereffi, Humphrey and Sturgeon (2005), RIPE 12(1): 78-104, key table.

    Examples
    --------
    >>> classify("high", "high", "low")
    'captive'
    """
    key = (
        _level(complexity, "complexity"),
        _level(codifiability, "codifiability"),
        _level(capability, "capability"),
    )
    return _MAPPING[key]


def classify_frame(
    data: pd.DataFrame,
    complexity: str = "complexity",
    codifiability: str = "codifiability",
    capability: str = "capability",
) -> pd.Series:
    """Apply :func:`classify` row by row to a DataFrame.

    Parameters
    ----------
    data : pandas.DataFrame, shape (n, >= 3)
        One row per value-chain link; must have at least one row.
    complexity, codifiability, capability : str
        Names of the columns holding ``"high"``/``"low"`` (or bool) ratings.

    Returns
    -------
    pandas.Series of str, length n
        Outcome per row, same index as ``data``, named ``"governance_type"``.

    Raises
    ------
    ValueError
        If ``data`` is not a non-empty DataFrame, a column is missing, or any rating is
        invalid (the message names the offending row).

    Source
    ------
    As :func:`classify`.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if data.empty:
        raise ValueError("data must have at least one row")
    for col in (complexity, codifiability, capability):
        if col not in data.columns:
            raise ValueError(f"column {col!r} not found; available: {list(data.columns)}")
    out = []
    for idx, row in data.iterrows():
        try:
            out.append(classify(row[complexity], row[codifiability], row[capability]))
        except ValueError as exc:
            raise ValueError(f"row {idx!r}: {exc}") from exc
    return pd.Series(out, index=data.index, name="governance_type", dtype=object)


def coordination_rank(governance_type: str) -> int:
    """Rank of a governance type by explicit coordination and power asymmetry.

    Parameters
    ----------
    governance_type : str
        One of :data:`GOVERNANCE_TYPES` (case-insensitive).

    Returns
    -------
    int
        1 (market, lowest) to 5 (hierarchy, highest).

    Raises
    ------
    ValueError
        For any other value, including :data:`NOT_EXPECTED` and :data:`EXCLUSION`.

    Source
    ------
    Ordering stated in the abstract of Gereffi, Humphrey and Sturgeon (2005).
    """
    if not isinstance(governance_type, str) or governance_type.strip().lower() not in GOVERNANCE_TYPES:
        raise ValueError(f"governance_type must be one of {GOVERNANCE_TYPES}; got {governance_type!r}")
    return GOVERNANCE_TYPES.index(governance_type.strip().lower()) + 1


def cases_table() -> pd.DataFrame:
    """A small table of documented cases with the governance type their source reports.

    The ``complexity``, ``codifiability`` and ``capability`` ratings are *our* coding
    for teaching (column ``coding``), chosen to be consistent with the source's
    description; ``None`` where the source does not let us pin a single type. The
    ``source`` column names the document whose text we checked; ``source_says``
    paraphrases what it says.

    Returns
    -------
    pandas.DataFrame
        Columns ``case``, ``reported_governance``, ``complexity``, ``codifiability``,
        ``capability``, ``coding``, ``source``, ``source_says``.

    Source
    ------
    See the ``source`` column of each row.
    """
    usaid_types = (
        "USAID Value Chain Wiki (marketlinks.org), 'Types of value chain governance' "
        "(secondary summary of Gereffi, Humphrey and Sturgeon 2005)"
    )
    usaid_shifts = (
        "USAID Value Chain Wiki (marketlinks.org), 'Shifts in value chain governance' "
        "(secondary summary)"
    )
    rows = [
        {
            "case": "Electronics contract manufacturing: lead firms and global turn-key suppliers",
            "reported_governance": "modular",
            "complexity": "high",
            "codifiability": "high",
            "capability": "high",
            "coding": "course authors",
            "source": (
                "Sturgeon (2002), 'Modular production networks: a new American model of "
                "industrial organization', Industrial and Corporate Change 11(3): 451-496"
            ),
            "source_says": (
                "Abstract: manufacturing is shifted to globally operating turn-key suppliers; "
                "the network relies on codified inter-firm links and generic capacity."
            ),
        },
        {
            "case": "Trader buying produce at the farm gate or in a wholesale market",
            "reported_governance": "market",
            "complexity": "low",
            "codifiability": "high",
            "capability": "high",
            "coding": "course authors",
            "source": usaid_types,
            "source_says": "Given as an example of market governance.",
        },
        {
            "case": "Apparel firms in Hong Kong, South Korea, Taiwan and China, earlier phase",
            "reported_governance": "captive",
            "complexity": "high",
            "codifiability": "high",
            "capability": "low",
            "coding": "course authors",
            "source": usaid_shifts,
            "source_says": (
                "Their success came when they moved from captive relationships with US and "
                "European lead firms to modular and/or relational forms."
            ),
        },
        {
            "case": "Apparel firms in Hong Kong, South Korea, Taiwan and China, later phase",
            "reported_governance": "modular and/or relational",
            "complexity": "high",
            "codifiability": None,
            "capability": "high",
            "coding": "course authors (codifiability left open: source names two types)",
            "source": usaid_shifts,
            "source_says": "Same passage as the earlier phase.",
        },
    ]
    return pd.DataFrame(rows)
