"""load_project: every checklist and results file of a repository, every problem reported together."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.errors import InputError
from generator.project import load_project
from helpers_results import CHECKLIST_MD, TLS

BROKEN_CHECKLIST = textwrap.dedent(
    """\
    # Mobile

    ## Security

    - [ ] TLS installed
    - [ ] TLS installed
    """
)
BROKEN_MESSAGE = ("checklists/mobile.md:6:1: duplicate id `security/tls-installed` (also on line 5); "
                  "reword one of them or pin an id with `{#...}`")


def make_repo(root: Path, checklists: dict, results: dict, config: str = None) -> Path:
    (root / "checklists").mkdir(parents=True)
    (root / "results").mkdir()
    for name, text in checklists.items():
        (root / "checklists" / f"{name}.md").write_text(text, encoding="utf-8")
    for name, text in results.items():
        (root / "results" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    if config is not None:
        (root / "readiness.yml").write_text(config, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(InputError) as exc:
        load_project(root)
    return [str(p) for p in exc.value.problems]


def test_a_valid_repository_loads(tmp_path):
    root = make_repo(tmp_path, {"web": CHECKLIST_MD}, {
        "2.4.0.yaml": f'release: "2.4.0"\nitems:\n  {TLS}: done\n',
        "2.5.0.yaml": 'release: "2.5.0"\nchecklist: web\n',
        "README.md": "not a results file\n",
    })
    project = load_project(root)
    assert sorted(r.name for r in project.releases) == ["2.4.0", "2.5.0"]
    assert [e.release.name for e in project.evaluations()] == ["2.4.0", "2.5.0"]


def test_names_differing_only_in_case_are_an_error_naming_both(tmp_path):
    root = make_repo(tmp_path, {"web": CHECKLIST_MD}, {
        "1.0.0-RC1.yaml": 'release: "1.0.0-RC1"\n',
        "1.0.0-rc1.yaml": 'release: "1.0.0-rc1"\n',
    })
    if len(list((root / "results").iterdir())) != 2:
        pytest.skip("case-insensitive file system")
    problems = problems_of(root)
    assert problems == [
        "results/1.0.0-rc1.yaml:1:1: release `1.0.0-rc1` differs only in case from results/1.0.0-RC1.yaml; "
        "rename one of them"
    ]


def test_yml_extension_is_an_error(tmp_path):
    root = make_repo(tmp_path, {"web": CHECKLIST_MD}, {"2.4.0.yml": 'release: "2.4.0"\n'})
    assert problems_of(root) == ["results/2.4.0.yml:1:1: results files end in .yaml; rename it to 2.4.0.yaml"]


def test_errors_from_several_files_are_reported_together(tmp_path):
    root = make_repo(
        tmp_path,
        {"web": CHECKLIST_MD, "mobile": BROKEN_CHECKLIST},
        {
            "1.0.0.yaml": f'release: "1.0.0"\nchecklist: web\nitems:\n  {TLS}: passed\n',
            "1.1.0.yaml": 'release: "1.1.1"\nchecklist: web\n',
            "1.2.0.yml": 'release: "1.2.0"\n',
            "1.3.0.yaml": 'release: "1.3.0"\nchecklist: web\nlaunch:\n  time: 12:30\n',
        },
        config="site_name: Launches\nsite_nmae: typo\n",
    )
    assert problems_of(root) == [
        BROKEN_MESSAGE,
        "readiness.yml:2:1: site_nmae: unknown key; did you mean 'site_name'?",
        f"results/1.0.0.yaml:4:40: items.{TLS}: unknown status 'passed'; did you mean 'done'?",
        'results/1.1.0.yaml:1:10: release: `1.1.1` does not match the file name `1.1.0.yaml`; '
        'they must be the same (release: "1.1.0")',
        "results/1.2.0.yml:1:1: results files end in .yaml; rename it to 1.2.0.yaml",
        'results/1.3.0.yaml:4:9: launch.time: `12:30` is read by YAML as a number; put it in quotes: "12:30"',
    ]


def test_a_broken_checklist_causes_no_spurious_unknown_id_errors(tmp_path):
    root = make_repo(tmp_path, {"mobile": BROKEN_CHECKLIST}, {
        "1.0.0.yaml": 'release: "1.0.0"\nchecklist: mobile\nitems:\n  security/tls-installed: done\n'
                      "  security/no-such-thing: done\nsignoffs:\n  cto: {name: A, date: 2026-01-01}\n",
        "1.1.0.yaml": 'release: "1.1.0"\nitems:\n  security/no-such-thing: done\n',  # checklist omitted
    })
    assert problems_of(root) == [BROKEN_MESSAGE]


def test_a_broken_checklist_does_not_hide_other_errors_in_its_results_files(tmp_path):
    root = make_repo(tmp_path, {"mobile": BROKEN_CHECKLIST}, {
        "1.0.0.yaml": 'release: "1.0.1"\nchecklist: mobile\nrelase: x\nitems:\n  security/no-such-thing: done\n',
    })
    assert problems_of(root) == [
        BROKEN_MESSAGE,
        'results/1.0.0.yaml:1:10: release: `1.0.1` does not match the file name `1.0.0.yaml`; '
        'they must be the same (release: "1.0.0")',
        "results/1.0.0.yaml:3:1: relase: unknown key; did you mean 'release'?",
    ]


def test_a_broken_checklist_does_not_silence_results_of_a_good_one(tmp_path):
    root = make_repo(tmp_path, {"web": CHECKLIST_MD, "mobile": BROKEN_CHECKLIST}, {
        "1.0.0.yaml": 'release: "1.0.0"\nchecklist: web\nitems:\n  security/tls-installed: done\n',
    })
    assert problems_of(root) == [
        BROKEN_MESSAGE,
        "results/1.0.0.yaml:4:3: items.security/tls-installed: unknown id in checklist `web`; "
        "did you mean 'security/tls-certificates-installed'?",
    ]
