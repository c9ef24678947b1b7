"""A bounded run of the fuzz targets, so CI exercises them on every change (`make fuzz` runs longer)."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "fuzz"))

import fuzz_inputs  # noqa: E402


@pytest.mark.slow
def test_fuzz_briefly():
    assert fuzz_inputs.run(seconds=20, batch=100) >= 200
