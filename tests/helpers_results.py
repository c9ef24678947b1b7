"""Helpers for the results, merge and project tests: a small inline checklist and a results-file loader."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Optional

from generator.checklist import parse_checklist
from generator.errors import Problems
from generator.model import Checklist, Release
from generator.results import load_release

# A small checklist with every shape the results rules care about: sections, a bold group, a conditional
# section "(if applicable)", a conditional item "(optional)", two threshold criteria and two sign-off roles.
CHECKLIST_MD = textwrap.dedent(
    """\
    # Web Launch

    ## Security

    - [ ] TLS certificates installed
    - [ ] **Secrets**
      - [ ] Default passwords changed
      - [ ] JWT secret rotated

    ## Performance

    - [ ] Page load < 3 seconds
    - [ ] API response < 500ms
    - [ ] CDN configured (optional)

    ## Queues (if applicable)

    - [ ] Dead letter queue configured
    - [ ] Consumers autoscale

    ## Sign-off

    - [ ] **Technical Lead:** ____ Date: ___
    - [ ] **Product Owner:** ____ Date: ___
    """
)

TLS = "security/tls-certificates-installed"
SECRETS = "security/secrets"
PASSWORDS = "security/secrets/default-passwords-changed"
JWT = "security/secrets/jwt-secret-rotated"
PAGE_LOAD = "performance/page-load-3-seconds"
API = "performance/api-response-500ms"
CDN = "performance/cdn-configured"
DLQ = "queues/dead-letter-queue-configured"
AUTOSCALE = "queues/consumers-autoscale"
PLAIN_ITEMS = (TLS, PASSWORDS, JWT, CDN, DLQ, AUTOSCALE)  # everything but the two criteria
ROLES = ("technical-lead", "product-owner")


def make_checklist(text: str = CHECKLIST_MD, name: str = "web") -> Checklist:
    problems = Problems()
    checklist = parse_checklist(text, name, f"checklists/{name}.md", problems)
    assert not problems.errors, [str(p) for p in problems.errors]
    return checklist


def write(tmp_path: Path, body, name: str = "2.4.0.yaml") -> Path:
    """Write a results file: str bodies are dedented and encoded as UTF-8, bytes are written as they are."""
    path = tmp_path / name
    if isinstance(body, str):
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    else:
        path.write_bytes(body)
    return path


def load(tmp_path: Path, body, name: str = "2.4.0.yaml",
         checklist: Optional[Checklist] = None) -> tuple[Optional[Release], list[str]]:
    """Load a results file against the inline checklist; the release (or None) and every problem as text."""
    checklist = checklist or make_checklist()
    path = write(tmp_path, body, name)
    problems = Problems()
    release = load_release(path, f"results/{name}", {checklist.name: checklist}, problems)
    return release, [str(p) for p in problems.items]
