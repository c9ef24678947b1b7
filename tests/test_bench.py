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


@pytest.mark.slow
def test_bench_spreads_releases_over_products_and_prints_bytes_per_release():
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py"), "--sizes", "6", "--products", "3",
                          "--runs", "1", "--no-baseline"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.strip().splitlines()
    values = dict(zip(header.split(" | "), row.split(" | ")))
    assert {"edit_s", "kb_per_release", "page_kb"} <= set(values)
    assert float(values["kb_per_release"]) > 0 and float(values["page_kb"]) > 0


def test_synthetic_products_hold_their_releases_and_an_edit_keeps_the_file_valid(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from synth import add_release, edit_release, write_history

    from generator.project import load_project

    write_history(tmp_path, 7, products=3)
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["service-000", "service-001", "service-002"]
    assert len(list((tmp_path / "results").rglob("*.yaml"))) == 7
    add_release(tmp_path, 7, 3)
    for turn in range(3):
        edit_release(tmp_path, 7, 3, turn)
    project = load_project(tmp_path)
    assert len(project.releases) == 8
    assert sum(1 for e in project.evaluations() if not e.launched) == 4  # the newest of each product, and 1 added
