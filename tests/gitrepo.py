"""Real git repositories for tests: commits with chosen authors and dates, in a temporary directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class Repo:
    """A scratch repository; `commit` writes files and commits them as a given person at a given time."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Runner")
        self.git("config", "user.email", "runner@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, env: dict | None = None) -> str:
        full = dict(os.environ, LC_ALL="C", GIT_CONFIG_NOSYSTEM="1", HOME=str(self.root), **(env or {}))
        return subprocess.run(["git", "-C", str(self.root), *args], check=True, capture_output=True, text=True,
                              env=full).stdout

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def commit(self, message: str, files: dict[str, str], author: str = "Ada Lovelace",
               date: str = "2026-01-10T10:00:00+00:00", committer: str | None = None, email: str | None = None) -> str:
        self.write(files)
        self.git("add", "-A")
        email = email or author.lower().replace(" ", ".") + "@example.com"
        committer = committer or author
        env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date,
               "GIT_COMMITTER_NAME": committer, "GIT_COMMITTER_EMAIL": committer.lower().replace(" ", ".") + "@example.com",
               "GIT_COMMITTER_DATE": date}
        message_file = self.root.parent / f".{self.root.name}-message"  # any size, unlike an argument
        message_file.write_text(message, encoding="utf-8", errors="surrogatepass")
        self.git("commit", "-q", "-F", str(message_file), env=env)
        message_file.unlink()
        return self.git("rev-parse", "HEAD").strip()
