"""Input checks that span files or encodings: duplicate releases, garbled text."""

from __future__ import annotations

from click.testing import CliRunner

from generator.checklist import mojibake
from generator.cli import cli

SEED_LINE = "## ✅ Café Straße – “quotes” 🔐 Security"


def test_mojibake_is_recognised_with_the_intended_text():
    garbled = SEED_LINE.encode("utf-8").decode("mac_roman")
    assert mojibake(garbled) == (SEED_LINE, "Mac Roman")
    assert mojibake("Caf\u00c3\u00a9 ready") == ("Café ready", "Windows-1252")
    for fine in ("Café", "Straße", "✅ Production", "naïve – “x”", "plain ascii"):
        assert mojibake(fine) is None


def test_garbled_checklist_line_is_a_warning_naming_line_and_text(project):
    path = project / "checklists" / "web.md"
    lines = path.read_text().splitlines()
    lines[2] = "## " + "🔐 Security".encode("utf-8").decode("mac_roman")
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["check", "--root", str(project)])
    assert "checklists/web.md:3:1: warning: text looks garbled (UTF-8 read as Mac Roman); " \
           "did you mean `## 🔐 Security`? Re-save the file as UTF-8" in result.output


def test_two_files_with_the_same_release_name_both_files(project):
    text = (project / "results" / "1.0.0.yaml").read_text().replace('release: "1.0.0"', 'release: "1.1.0"')
    (project / "results" / "1.0.5.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["check", "--root", str(project)])
    assert result.exit_code == 1
    assert ('results/1.0.5.yaml:1:10: release: `1.1.0` does not match the file name `1.0.5.yaml`; they must be '
            'the same (release: "1.0.5"); results/1.1.0.yaml already holds release `1.1.0`') in result.output


def test_evidence_with_a_broken_host_is_an_error_not_a_crash(project):
    """Found by the fuzzer: urlsplit raises on an unbalanced `[` in the host."""
    (project / "results" / "1.0.0.yaml").write_text(
        'release: "1.0.0"\nitems:\n  security/https-enforced: {status: done, evidence: "http://[::1/x"}\n')
    result = CliRunner().invoke(cli, ["check", "--root", str(project)])
    assert result.exit_code == 1
    assert "results/1.0.0.yaml:3:53: items.security/https-enforced.evidence: `http://[::1/x` is not an http:// " \
           "or https:// link; evidence must be one" in result.output
