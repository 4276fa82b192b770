"""Every model lab under notebooks/ executes top to bottom without an error or stderr output."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT, IpcKernelManager

LABS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_labs():
    assert len(LABS) >= 4


@pytest.mark.parametrize("path", LABS, ids=[p.stem for p in LABS])
def test_lab_executes_cleanly(path: Path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", kernel_manager_class=IpcKernelManager,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    stderr = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"{path.name} wrote to stderr: {stderr[:2]}"
