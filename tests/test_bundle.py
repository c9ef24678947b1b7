"""`readiness bundle RELEASE`: a deterministic tar that standard tools check (tar, sha256sum -c)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from test_audit import FEB, LAUNCH_FEB, SIGNED_FEB, items_block, record_release
from test_people import team_repo


def bundle(root: Path, release: str, dest: Path, *extra: str):
    result = CliRunner().invoke(cli, ["bundle", release, "--root", str(root), "-o", str(dest), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_bundle_holds_the_release_as_launched_and_now_and_checks_with_sha256sum(tmp_path):
    repo = team_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    now = text.replace("No public status page yet", "No public status page yet (reworded)")
    repo.commit("Reword", {"results/1.1.yaml": now}, "Bob Stone", "2026-02-16T09:00:00+00:00")
    dest = tmp_path / "b.tar"
    result = bundle(repo.root, "1.1", dest)
    assert result.exit_code == 0, result.output
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(dest), "-C", str(out)], check=True)
    folder = out / "1.1"
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (folder / "results-as-launched.yaml").read_text() == text
    assert (folder / "results-now.yaml").read_text() == now
    assert (folder / "checklist-as-launched.md").read_text().startswith("# Web")
    assert "Reword" in (folder / "git-log-results.txt").read_text()
    assert "+  operations/status-page-updated" in (folder / "git-log-results.txt").read_text()
    findings = json.loads((folder / "findings.json").read_text())["findings"]
    assert {f["rule"] for f in findings} == {"edited-after-launch"}
    signoffs = json.loads((folder / "signoffs.json").read_text())["signoffs"]
    assert [(s["role"], s["person"], s["email"], s["recorded_by_person"]) for s in signoffs] == [
        ("tech-lead", "grace", "grace.hopper@example.com", "grace"),
        ("product-owner", "linus", "linus.pauling@example.com", "linus")]
    assert json.loads((folder / "provenance.json").read_text())["verdict_at_launch"] == "YES"
    assert (folder / "release.csv").read_text().startswith(("item", "id", "release"))
    with tarfile.open(dest) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    # The same inputs give the same bytes.
    again = tmp_path / "again.tar"
    bundle(repo.root, "1.1", again)
    assert again.read_bytes() == dest.read_bytes()


def test_bundle_of_an_unknown_release_is_an_error_with_nothing_written(tmp_path):
    repo = team_repo(tmp_path)
    result = bundle(repo.root, "9.9", tmp_path / "b.tar")
    assert result.exit_code == 1 and "no release `9.9`" in result.output
    assert not (tmp_path / "b.tar").exists()


def test_a_signed_bundle_checks_with_ssh_keygen(tmp_path):
    from test_signed_site import keypair

    key, _ = keypair(tmp_path, "auditor")
    allowed = tmp_path / "allowed"
    allowed.write_text(f'auditor namespaces="readiness-bundle" {key.with_suffix(".pub").read_text()}')
    repo = team_repo(tmp_path)
    dest = tmp_path / "b.tar"
    assert bundle(repo.root, "1.0", dest, "--sign", str(key)).exit_code == 0
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["tar", "-xf", str(dest), "-C", str(out)], check=True)
    folder = out / "1.0"
    verify = ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "auditor", "-n", "readiness-bundle",
              "-s", str(folder / "SHA256SUMS.sig")]
    with open(folder / "SHA256SUMS", "rb") as sums:
        assert subprocess.run(verify, stdin=sums, capture_output=True).returncode == 0
    (folder / "SHA256SUMS").write_text((folder / "SHA256SUMS").read_text().replace("a", "b", 1))
    with open(folder / "SHA256SUMS", "rb") as sums:
        assert subprocess.run(verify, stdin=sums, capture_output=True).returncode != 0


# --- bundles in the site -------------------------------------------------------------------------------


def _build(root: Path, site: Path, *extra: str) -> str:
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "-d", str(site), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_each_release_page_links_its_bundle_which_is_the_commands_bytes_and_checks_out(tmp_path):
    repo = team_repo(tmp_path)
    record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    site = tmp_path / "site"
    _build(repo.root, site)
    for name in ("1.0", "1.1"):
        page = (site / "releases" / name / "index.html").read_text()
        assert f'<a href="{name}-audit.tar.gz" download>' in page
        archive = site / "releases" / name / f"{name}-audit.tar.gz"
        out = tmp_path / f"x-{name}"
        out.mkdir()
        subprocess.run(["tar", "-xzf", str(archive), "-C", str(out)], check=True)
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out / name, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        # The bundle holds the very exports the site publishes, and `readiness bundle` makes the same bytes.
        assert (out / name / "release.json").read_bytes() == (site / "data" / "releases" / f"{name}.json").read_bytes()
        # Its items have ids and statuses; their texts are in the checklist revision's export, bundled too.
        data = json.loads((out / name / "release.json").read_text())
        assert (out / name / "checklist.json").read_bytes() == (site / data["checklist_source"]["items"]).read_bytes()
        checklist = json.loads((out / name / "checklist.json").read_text())
        assert checklist["sha256"] == data["checklist_source"]["sha256"]
        assert [i["id"] for i in checklist["items"]] == [i["id"] for i in data["items"]]
        assert all("text" not in i for i in data["items"]) and all(i["text"] for i in checklist["items"])
        made = tmp_path / f"{name}.tar.gz"
        assert bundle(repo.root, name, made).exit_code == 0
        assert made.read_bytes() == archive.read_bytes()
    manifest = json.loads((site / "manifest.json").read_text())
    assert "releases/1.1/1.1-audit.tar.gz" in json.dumps(manifest)


def test_a_rebuild_links_unchanged_bundles_and_makes_again_only_the_changed_ones(tmp_path):
    repo = team_repo(tmp_path)
    text = record_release(repo, "1.1", items_block("2026-02", 5), SIGNED_FEB, LAUNCH_FEB, FEB)
    site = tmp_path / "site"
    _build(repo.root, site)
    inode = {n: (site / "releases" / n / f"{n}-audit.tar.gz").stat().st_ino for n in ("1.0", "1.1")}
    _build(repo.root, site)
    assert {n: (site / "releases" / n / f"{n}-audit.tar.gz").stat().st_ino for n in inode} == inode
    # A commit after the launch changes 1.1's git log and findings: its bundle is made again, 1.0's is kept.
    repo.commit("Reword", {"results/1.1.yaml": text.replace("No public status page yet", "Not yet")},
                "Bob Stone", "2026-02-16T09:00:00+00:00")
    _build(repo.root, site)
    assert (site / "releases" / "1.0" / "1.0-audit.tar.gz").stat().st_ino == inode["1.0"]
    changed = site / "releases" / "1.1" / "1.1-audit.tar.gz"
    assert changed.stat().st_ino != inode["1.1"]
    with tarfile.open(changed) as tar:
        log = tar.extractfile("1.1/git-log-results.txt").read().decode()
        findings = json.loads(tar.extractfile("1.1/findings.json").read())["findings"]
    assert "Reword" in log and {f["rule"] for f in findings} == {"edited-after-launch"}
    # Byte-identical to a build without the cache.
    fresh = tmp_path / "fresh"
    _build(repo.root, fresh, "--no-cache")
    for n in inode:
        rel = f"releases/{n}/{n}-audit.tar.gz"
        assert (fresh / rel).read_bytes() == (site / rel).read_bytes()


def test_a_signed_site_signs_every_bundle(tmp_path):
    from test_signed_site import keypair

    key, _ = keypair(tmp_path, "release-bot")
    allowed = tmp_path / "allowed"
    allowed.write_text(f'bot namespaces="readiness-bundle" {key.with_suffix(".pub").read_text()}')
    repo = team_repo(tmp_path)
    site = tmp_path / "site"
    _build(repo.root, site, "--sign", str(key))
    with tarfile.open(site / "releases" / "1.0" / "1.0-audit.tar.gz") as tar:
        sums, sig = (tar.extractfile(f"1.0/{n}").read() for n in ("SHA256SUMS", "SHA256SUMS.sig"))
    (tmp_path / "sig").write_bytes(sig)
    verify = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "bot", "-n", "readiness-bundle",
                             "-s", str(tmp_path / "sig")], input=sums, capture_output=True)
    assert verify.returncode == 0, verify.stderr
