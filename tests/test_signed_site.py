"""A signed manifest: `build --sign KEY`, `verify --allowed-signers FILE`, the manifest's commit checked
against the checkout, and builds from a dirty working tree marked; with real ssh-keygen keys and git."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from test_integrity import repo  # noqa: F401 (the fixture)


def keypair(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A fresh ed25519 key and an allowed-signers file that trusts it for the manifest namespace."""
    key = tmp_path / "keys" / name
    key.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    allowed = tmp_path / "keys" / f"{name}.allowed"
    allowed.write_text(f'{name}@lumen.example namespaces="readiness-manifest" {key.with_suffix(".pub").read_text()}')
    return key, allowed


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_a_signed_site_verifies_and_names_its_signer(repo, tmp_path):  # noqa: F811
    key, allowed = keypair(tmp_path, "release-bot")
    site = tmp_path / "site"
    assert run("build", "--root", str(repo.root), "-d", str(site), "--sign", str(key)).exit_code == 0
    assert (site / "manifest.json.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")
    assert "manifest.json.sig" not in json.loads((site / "manifest.json").read_text())["outputs"]
    # Standard tools agree: ssh-keygen checks the signature on its own.
    with open(site / "manifest.json", "rb") as data:
        subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "release-bot@lumen.example", "-n",
                        "readiness-manifest", "-s", str(site / "manifest.json.sig")], stdin=data, check=True,
                       capture_output=True)
    result = run("verify", str(site), "--root", str(repo.root), "--allowed-signers", str(allowed))
    assert result.exit_code == 0, result.output
    assert "the manifest is signed by release-bot@lumen.example (namespace readiness-manifest)" in result.output
    head = repo.git("rev-parse", "HEAD").strip()
    assert f"built from commit {head[:12]}, an ancestor of HEAD" in result.output


def test_a_page_edited_with_its_hash_passes_without_the_signature_check_and_fails_with_it(repo, tmp_path):  # noqa: F811
    key, allowed = keypair(tmp_path, "release-bot")
    _other, stranger = keypair(tmp_path, "stranger")
    site = tmp_path / "site"
    run("build", "--root", str(repo.root), "-d", str(site), "--sign", str(key))
    page = site / "releases" / "1.0" / "index.html"
    page.write_text(page.read_text().replace("Release 1.0", "Release 1.0 (approved)"))
    manifest = json.loads((site / "manifest.json").read_text())
    manifest["outputs"]["releases/1.0/index.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (site / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    assert run("verify", str(site), "--root", str(repo.root)).exit_code == 0  # what hashes alone cannot catch
    result = run("verify", str(site), "--root", str(repo.root), "--allowed-signers", str(allowed))
    assert result.exit_code == 1
    assert f"{site}/manifest.json.sig:1:1: the manifest's signature is not by a key of the allowed signers" in result.output
    # An untouched signed site checked against another key's file fails the same way.
    fresh = tmp_path / "fresh"
    run("build", "--root", str(repo.root), "-d", str(fresh), "--sign", str(key))
    assert run("verify", str(fresh), "--root", str(repo.root), "--allowed-signers", str(stranger)).exit_code == 1


def test_verify_with_allowed_signers_requires_a_signature(repo, tmp_path):  # noqa: F811
    _key, allowed = keypair(tmp_path, "release-bot")
    site = tmp_path / "site"
    run("build", "--root", str(repo.root), "-d", str(site))
    result = run("verify", str(site), "--root", str(repo.root), "--allowed-signers", str(allowed))
    assert result.exit_code == 1 and "the site has no manifest signature" in result.output


def test_building_with_a_key_that_is_not_one_stops_with_nothing_published(repo, tmp_path):  # noqa: F811
    bogus = tmp_path / "bogus"
    bogus.write_text("not a key\n")
    result = run("build", "--root", str(repo.root), "-d", str(tmp_path / "site"), "--sign", str(bogus))
    # The first thing signed is a release's bundle, before the manifest that lists it.
    assert result.exit_code == 1 and "could not sign the auditor's bundle with this key" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "site").exists()


def test_the_manifests_commit_must_be_in_the_checkouts_history(repo, tmp_path):  # noqa: F811
    site = tmp_path / "site"
    run("build", "--root", str(repo.root), "-d", str(site))
    built = repo.git("rev-parse", "HEAD").strip()
    # The same files on a history that does not contain the commit built from.
    repo.git("checkout", "-q", "--orphan", "other")
    repo.git("commit", "-q", "-m", "rewritten", env={"GIT_AUTHOR_NAME": "Eve", "GIT_AUTHOR_EMAIL": "eve@x",
                                                    "GIT_COMMITTER_NAME": "Eve", "GIT_COMMITTER_EMAIL": "eve@x"})
    result = run("verify", str(site), "--root", str(repo.root))
    assert result.exit_code == 1
    assert f"{site}/manifest.json:1:1: git_commit {built[:12]} is not an ancestor of HEAD" in result.output
    manifest = json.loads((site / "manifest.json").read_text())
    manifest["git_commit"] = "0123456789" * 4
    (site / "manifest.json").write_text(json.dumps(manifest))
    result = run("verify", str(site), "--root", str(repo.root))
    assert result.exit_code == 1 and "git_commit 012345678901 does not exist in this repository" in result.output


def test_a_build_from_a_dirty_tree_is_marked_in_the_manifest_the_audit_page_and_verify(repo, tmp_path):  # noqa: F811
    path = repo.root / "results" / "1.1.yaml"
    path.write_text(path.read_text() + "signoffs:\n  tech-lead: {name: Ada Lovelace, date: 2026-01-10}\n")
    site = tmp_path / "site"
    assert run("build", "--root", str(repo.root), "-d", str(site)).exit_code == 0
    assert json.loads((site / "manifest.json").read_text())["dirty"] == ["results/1.1.yaml"]
    audit = re.sub(r"<[^>]+>", "", (site / "audit" / "index.html").read_text())
    assert "Built from a dirty working tree: 1 input differs from that commit (results/1.1.yaml)" in audit
    result = run("verify", str(site), "--root", str(repo.root))
    assert result.exit_code == 0
    assert "built from a dirty working tree: 1 input(s) were not as committed (results/1.1.yaml)" in result.output
    clean = tmp_path / "clean"
    repo.git("checkout", "--", "results/1.1.yaml")
    run("build", "--root", str(repo.root), "-d", str(clean))
    assert json.loads((clean / "manifest.json").read_text())["dirty"] == []
    assert "dirty working tree" not in (clean / "audit" / "index.html").read_text()


def test_a_signing_key_that_is_missing_or_a_fifo_is_one_message_with_nothing_published(repo, tmp_path):  # noqa: F811
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for key in (tmp_path / "missing", fifo):
        site = tmp_path / "site"
        result = run("build", "--root", str(repo.root), "-d", str(site), "--sign", str(key))
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert f"{key}:1:1: cannot read this signing key" in result.output
        assert not site.exists()
