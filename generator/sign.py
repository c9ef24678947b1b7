"""`readiness sign`: a sign-off from the git identity of the repository, written into the results file.

The sign-off is `signoffs.<role>: {name: <git user.name>, date: <today>}`, added with the round-trip writer
of generator/record.py (only that line changes). Signing is refused when the role is unknown or already
signed, when git has no user.name, and when the release's verdict is NO, unless `--force --reason TEXT`,
in which case the reason is kept as a YAML comment on the sign-off line (the loader's sign-off schema
has only `name` and `date`). Committing is left to the signer, so the commit is theirs (and signed, with -S).
"""

from __future__ import annotations

import datetime as dt
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.tokens import CommentToken

from generator.errors import InputError, Location, Problem, UsageError
from generator.record import EditError, check_only_touched, edit_entry, find_release, text_value, write_results
from generator.secrets import find_secret


class Refused(Exception):
    """Signing is not allowed now (exit 1): the message says why and what to do."""


@dataclass(frozen=True)
class Signed:
    path: str  # results/X.yaml as displayed
    release: str
    role: str
    name: str
    date: dt.date
    forced: bool  # signed with --force over a NO verdict
    verdict_after: str
    unsigned_after: tuple[str, ...]


def git_user_name(root: Path) -> str:
    """`git config user.name` as git resolves it in `root` (repository, then global and system config)."""
    try:
        run = subprocess.run(["git", "config", "--get", "user.name"], cwd=root, capture_output=True, text=True,
                             timeout=30)
    except FileNotFoundError:
        raise Refused("git is not installed; readiness sign takes the signer's name from `git config user.name`")
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Refused(f"cannot run git in {root}: {exc}")
    name = run.stdout.strip()
    if run.returncode != 0 or not name:
        raise Refused(f"git user.name is not set for {root}; set it to your name, e.g. "
                      "`git config user.name \"Alice Chen\"`, and run readiness sign again")
    return name


def check_reason(force: bool, reason: Optional[str]) -> Optional[str]:
    """--force needs --reason and --reason needs --force; a reason is one line of plain text."""
    if force and not (reason and reason.strip()):
        raise UsageError("--force needs --reason TEXT: why this sign-off is given although the verdict is NO")
    if reason is not None and not force:
        raise UsageError("--reason is only used with --force")
    if reason is None:
        return None
    reason = reason.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in reason):
        raise UsageError("--reason must be one line of text")
    secret = find_secret(reason)
    if secret:
        raise UsageError(f"--reason looks like it holds a secret ({secret[0]}: {secret[1]}); leave it out")
    return reason


def _blockers(evaluation) -> str:
    kinds = {"failed": "failed", "pending": "pending", "expired": "expired waiver"}
    counts: dict[str, int] = {}
    for r in evaluation.reasons:
        if r.kind in kinds:
            counts[r.kind] = counts.get(r.kind, 0) + 1
    summary = ", ".join(f"{n} {kinds[k]}{'s' if n != 1 and k == 'expired' else ''}" for k, n in counts.items())
    first = [r.target for r in evaluation.reasons if r.kind in kinds][:3]
    more = ", ..." if sum(counts.values()) > len(first) else ""
    return f"{summary}: {', '.join(first)}{more}"


def sign_release(root: Path, release_name: str, role: str, force: bool, reason: Optional[str]) -> Signed:
    """Add the sign-off to results/RELEASE.yaml, or raise UsageError / InputError / Refused and write nothing."""
    from generator.merge import default_today, evaluate
    from generator.project import load_project
    from generator.results import did_you_mean

    reason = check_reason(force, reason)
    project = load_project(root)
    release = find_release(project, release_name)
    checklist = project.checklists[release.checklist]
    roles = checklist.role_ids
    if role not in roles:
        listed = f"roles: {', '.join(roles)}" if roles else f"checklist `{checklist.name}` has no sign-off roles"
        raise UsageError(f"--role {role}: unknown sign-off role{did_you_mean(role, roles)} ({listed})")
    signed = {s.role: s for s in release.signoffs}
    if role in signed:
        s = signed[role]
        raise InputError([Problem(s.location, f"signoffs.{role}: already signed by {s.name} on {s.date}; "
                                  "readiness never replaces a sign-off (remove it by hand to sign again)")])
    name = git_user_name(root)

    evaluation = next(e for e in project.evaluations() if e.release.name == release.name)
    forced = evaluation.verdict == "NO"
    if forced and not force:
        raise Refused(f"release {release.name} is NO ({_blockers(evaluation)}); a sign-off is allowed once "
                      "nothing is failed, pending or expired, or sign anyway with --force --reason TEXT")

    today = default_today()
    path = root / "results" / f"{release.name}.yaml"
    original = path.read_bytes()
    text = original.decode("utf-8")
    note = f"signed with --force while the verdict was NO: {reason}" if forced else None

    def apply(parent: CommentedMap, key) -> None:
        entry = CommentedMap([("name", text_value(name)), ("date", today)])
        entry.fa.set_flow_style()
        parent[key] = entry
        if note:
            _add_comment(parent, key, note)

    try:
        new_text = edit_entry(text, "signoffs", role, apply, roles)
        check_only_touched(text, new_text, {"signoffs": {role}})
    except EditError as exc:
        raise InputError([Problem(Location(release.path), f"cannot sign into this file exactly: {exc}")])
    after = write_results(path, release.path, original, new_text, project.checklists, release.product)
    evaluated = evaluate(after, checklist)
    return Signed(release.path, release.name, role, name, today, forced, evaluated.verdict, evaluated.unsigned)


def _add_comment(parent: CommentedMap, key, text: str) -> None:
    """Put `text` in the end-of-line comment of `key`, after any comment already there."""
    slots = parent.ca.items.get(key)
    token = None
    if slots:
        token = next((t for t in slots if isinstance(t, CommentToken)), None)
    if token is not None and token.value.strip():
        head = token.value.rstrip("\n").rstrip()
        token.value = f"{head}; {text}\n"
    else:
        parent.yaml_add_eol_comment(f"# {text}", key=key)


def commit_command(root: Path, signed: Signed) -> str:
    """The command that commits the sign-off as the signer's own (signed with -S) commit."""
    command = (f"git add {shlex.quote(signed.path)} && "
               f"git commit -S -m \"Sign off {signed.release} as {signed.role}\"")
    try:
        here = root.resolve() == Path.cwd().resolve()
    except OSError:
        here = False
    return command if here else f"cd {shlex.quote(str(root))} && {command}"
