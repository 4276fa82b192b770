"""Input checks shared by the models (private)."""

from __future__ import annotations

import numpy as np


def finite_array(values, name: str) -> np.ndarray:
    """Convert ``values`` to a float array; reject empty, non-numeric or non-finite input.

    Raises
    ------
    ValueError
        If ``values`` cannot be read as numbers, is empty, or holds NaN or infinity; the message
        names the argument (``name``).
    """
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got {values!r}") from exc
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr
