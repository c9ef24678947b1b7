"""The benchmark command runs (tiny sizes; the real numbers come from `make bench`)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_bench_prints_its_table():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--sizes", "3", "--runs", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.strip().splitlines()
    assert header.split(" | ")[:3] == ["releases", "build_s", "rebuild_s"]
    assert row.split(" | ")[0] == "3" and len(row.split(" | ")) == len(header.split(" | "))
