"""Replay the Lumen example story into a git repository with the people and dates of the story.

    python examples/replay.py DEST        # DEST must not exist, or be a replay nobody has worked in since

The example results in results/ are committed to this project's own history, so their provenance
would show the project's maintainers recording every sign-off. This script rebuilds them as the team
of the story would have committed them: the checklist first, then per release the results file by its
release engineer a week before launch, each sign-off line by the signer on the day they signed, and the
launch block by the person who deployed. Two deviations are part of the story (STORY_EVENTS). The final
files are byte-identical to results/, and the same script always gives the same commits.

A replay is replaced only while it is exactly as this script left it (its commit, no other file, the same
git config): a folder someone has worked in is never deleted, whatever its name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".readiness-example"
STAMP = "readiness-replay"  # in .git/: the commit the replay ended on and the hash of its git config
TZ = "+01:00"
CHECKLIST_AUTHOR, CHECKLIST_DATE = "Mara Lindqvist", "2025-11-03T10:00:00"

# What happened that the results files alone do not show.
STORY_EVENTS = {
    # David was travelling; Jonas committed the CTO sign-off for him (a signer-is-recorder finding).
    ("3.0.0", "recorder", "cto-vp-engineering"): "Jonas Weber",
    # After sign-off, Mara reworded a note on the validator item (an edited-after-signoff finding).
    ("3.1.0", "late-edit"): ("All generated files pass the KoSIT validator.",
                             "All generated files pass the official KoSIT validator in CI."),
}


def git(dest: Path, *args: str, who: str | None = None, when: str | None = None) -> str:
    env = dict(os.environ, LC_ALL="C", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    if who:
        email = who.lower().replace(" ", ".") + "@lumen.example"
        env.update(GIT_AUTHOR_NAME=who, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=who, GIT_COMMITTER_EMAIL=email)
    if when:
        env.update(GIT_AUTHOR_DATE=when + TZ, GIT_COMMITTER_DATE=when + TZ)
    return subprocess.run(["git", "-C", str(dest), *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def commit(dest: Path, files: dict[str, str], message: str, who: str, when: str) -> None:
    for rel, text in files.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text, encoding="utf-8")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--no-gpg-sign", "-m", message, who=who, when=when)


def segments(text: str) -> list[tuple[str, list[str]]]:
    """Top-level blocks of a results file (key, lines); comments at column 0 go with the block after them."""
    out: list[tuple[str, list[str]]] = []
    pending: list[str] = []
    for line in text.splitlines(keepends=True):
        m = re.match(r"([A-Za-z_]+):", line)
        if m:
            out.append((m.group(1), pending + [line]))
            pending = []
        elif line.startswith("#") or not out:
            pending.append(line)
        else:
            out[-1][1].append(line)
    if pending:
        out.append(("", pending))
    return out


def release_order(data: dict[str, dict]) -> list[str]:
    launched = sorted((d["launch"]["date"], n) for n, d in data.items() if d.get("launch", {}).get("date"))
    rest = sorted(n for n, d in data.items() if not d.get("launch", {}).get("date"))
    return [n for _, n in launched] + rest


def _stamp(dest: Path) -> str:
    config = (dest / ".git" / "config").read_bytes() if (dest / ".git" / "config").is_file() else b""
    return f"{git(dest, 'rev-parse', 'HEAD').strip()} {hashlib.sha256(config).hexdigest()}\n"


def worked_in(dest: Path) -> list[str]:
    """What in `dest` this script did not make: empty when it is a replay exactly as it was left."""
    if not (dest / MARKER).is_file() or not (dest / ".git" / STAMP).is_file():
        return ["it was not made by this script"]
    try:
        head, config = (dest / ".git" / STAMP).read_text(encoding="utf-8").split()
        now_head, now_config = _stamp(dest).split()
        changed = git(dest, "status", "--porcelain", "--ignored", "--untracked-files=all").splitlines()
    except (OSError, ValueError, subprocess.CalledProcessError):
        return ["its git repository cannot be read"]
    out = []
    if now_head != head:
        out.append("commits were made or reset after the replay")
    if now_config != config:
        out.append("its git config was changed")
    if changed:
        names = [line[3:] for line in changed]
        out.append("files were added or changed: " + ", ".join(names[:5]) + (" ..." if len(names) > 5 else ""))
    return out


def replay(dest: Path) -> None:
    if dest.exists():
        work = worked_in(dest)
        if work:
            raise SystemExit(f"{dest} is left as it is: {'; '.join(work)}. Replay into another folder "
                             f"(make site EXAMPLE=build/other), or move {dest} away first.")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main")
    files = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "results").glob("*.yaml"))}
    data = {name: yaml.safe_load(text) for name, text in files.items()}
    start = {MARKER: "made by examples/replay.py\n",
             "checklists/production.md": (ROOT / "checklists" / "production.md").read_text(encoding="utf-8")}
    if (ROOT / "readiness.yml").exists():
        start["readiness.yml"] = (ROOT / "readiness.yml").read_text(encoding="utf-8")
    commit(dest, start, "Add the production launch checklist", CHECKLIST_AUTHOR, CHECKLIST_DATE)

    for name in release_order(data):
        text, d = files[name], data[name]
        launch = d.get("launch") or {}
        engineer = launch.get("deployed_by") or "Jonas Weber"
        dates = [v["date"] for v in (d.get("items") or {}).values() if isinstance(v, dict) and "date" in v]
        signed = {role: s for role, s in (d.get("signoffs") or {}).items() if s}
        first_day = min(dates + [s["date"] for s in signed.values()] + ([launch["date"]] if launch.get("date") else []),
                        default=dt.date(2026, 11, 20))
        parts = segments(text)
        late = STORY_EVENTS.get((name, "late-edit"))

        def assemble(signed_roles: set[str], with_launch: bool, final_edit: bool) -> str:
            out = []
            for key, lines in parts:
                if key == "launch" and not with_launch:
                    continue
                if key == "signoffs":
                    head, roles = lines[:1], lines[1:]
                    kept = [line for line in roles
                            if not (m := re.match(r"\s+([a-z0-9-]+):", line)) or m.group(1) not in signed
                            or m.group(1) in signed_roles]
                    out += head + kept
                else:
                    out += lines
            body = "".join(out)
            return body.replace(late[1], late[0]) if late and not final_edit else body

        day = (first_day - dt.timedelta(days=1)).isoformat()
        commit(dest, {f"results/{name}.yaml": assemble(set(), False, False)},
               f"Record results for {name}", engineer, f"{day}T09:30:00")
        done: set[str] = set()
        for i, (role, s) in enumerate(sorted(signed.items(), key=lambda kv: (kv[1]["date"], kv[0]))):
            done.add(role)
            who = STORY_EVENTS.get((name, "recorder", role), s["name"])
            commit(dest, {f"results/{name}.yaml": assemble(done, False, False)},
                   f"Sign off {name} as {role}", who, f"{s['date'].isoformat()}T07:{i * 7:02d}:00")
        last_signoff = max((s["date"] for s in signed.values()), default=first_day)
        if late:
            commit(dest, {f"results/{name}.yaml": assemble(done, False, True)},
                   f"Reword a note in {name}", "Mara Lindqvist", f"{last_signoff.isoformat()}T08:30:00")
        if launch.get("date"):
            time = launch.get("time", "12:00")
            commit(dest, {f"results/{name}.yaml": assemble(done, True, True)},
                   f"Launch {name}", engineer, f"{launch['date'].isoformat()}T{time}:00")
        final = (dest / "results" / f"{name}.yaml").read_text(encoding="utf-8")
        if final != text:
            raise SystemExit(f"replay of {name} does not reproduce results/{name}.yaml")
    (dest / ".git" / STAMP).write_text(_stamp(dest), encoding="utf-8")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().splitlines()[2])
    replay(Path(sys.argv[1]))
    print(f"replayed {len(list((ROOT / 'results').glob('*.yaml')))} releases into {sys.argv[1]}")


if __name__ == "__main__":
    main()
