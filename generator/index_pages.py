"""The index pages: /releases/, /signoffs/ and /audit/ with its rules. In a site of several products they
list the products, and each product's sign-offs and findings are pages of its own beside its product page
(products/<product>/signoffs/ and products/<product>/audit/): listing every release, each of the three was
9 to 12 MB at an organisation's 10,000 releases, too long for a browser to open, and made again whenever
any release changed (docs/pages.md, "Sites of several products")."""

from __future__ import annotations

import collections
import functools
import re
from dataclasses import dataclass
from typing import Iterable

from generator.analyse import signers
from generator.audit import HISTORY_RULES, RULES
from generator.model import Evaluation
from generator.pages import Output, SiteData, _context, _page, _product_key, product_label, product_slug
from generator.render import TEMPLATES


def several(site: SiteData) -> bool:
    """Whether the site's index pages list products rather than releases."""
    return len(site.products) > 1


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A product as the index pages of a site of several products list it."""

    label: str
    slug: str
    releases: int
    latest: Evaluation
    unsigned: int  # releases with a role not signed
    errors: int  # audit findings on its releases, by severity
    warnings: int


def _product_of(site: SiteData) -> dict[str, str]:
    """Release name -> its product, for the site's releases (a deleted release's findings have none)."""
    return {e.release.name: e.release.product for e in site.evaluations}


def _findings_by_product(site: SiteData) -> dict[str, list]:
    """The findings on each product's releases, in the site's order of findings."""
    product_of, grouped = _product_of(site), {}
    for f in site.findings:
        if f.release in product_of:
            grouped.setdefault(product_of[f.release], []).append(f)
    return grouped


def product_rows(site: SiteData) -> list[ProductRow]:
    found = _findings_by_product(site)
    rows = []
    for p in site.products:
        evaluations, severities = site.by_product[p], collections.Counter(f.severity for f in found.get(p, ()))
        rows.append(ProductRow(product_label(p), product_slug(p), len(evaluations), evaluations[-1],
                               sum(1 for e in evaluations if e.unsigned), severities["error"], severities["warning"]))
    return rows


def releases_index(site: SiteData) -> Iterable[Output]:
    yield _page("releases/index.md", "releases.md.j2", site, products=product_rows(site) if several(site) else [])


def _roles(checklists: Iterable) -> list:
    """The roles of these checklists, each once, in the order the checklists name them."""
    roles: list = []
    seen: set = set()
    for c in checklists:
        for r in c.roles:
            if r.id not in seen:
                seen.add(r.id)
                roles.append(r)
    return roles


def signoffs_page(site: SiteData) -> Iterable[Output]:
    if not several(site):
        yield _page("signoffs/index.md", "signoffs.md.j2", site, roles=_roles(site.checklists.values()),
                    people=site.people, evaluations=site.newest_first, products=[], product=None)
        return
    product_of = _product_of(site)
    people = [(name, len(signed), [(product_label(p), product_slug(p), n) for p, n in
                                   sorted(collections.Counter(product_of[s.release] for s in signed).items())])
              for name, signed in site.people]
    yield _page("signoffs/index.md", "signoffs.md.j2", site, roles=[], people=people, evaluations=(),
                products=product_rows(site), product=None)


def product_signoffs(site: SiteData) -> Iterable[Output]:
    """A product's releases by role, and who signed them, on a page of its own (a site of several products)."""
    if not several(site):
        return
    for p in site.products:
        evaluations = site.by_product[p]
        # The roles of the checklist versions its releases are evaluated against: another product's roles
        # would be columns of n/a.
        roles = _roles({(e.checklist.name, e.checklist.sha256): e.checklist for e in evaluations}.values())
        path = f"products/{product_slug(p)}/signoffs/index.md"
        yield Output(path, "signoffs.md.j2", functools.partial(
            _context, path, site, roles=roles, people=functools.partial(signers, evaluations),
            evaluations=tuple(reversed(evaluations)), products=[], product=product_label(p)),
            key=_product_key(site, "product-signoffs", p, evaluations, roles), alone=True)


def audit_page(site: SiteData) -> Iterable[Output]:
    rules = [rule.__name__.replace("_", "-") for rule in RULES]
    pages = set(_product_of(site))
    shown = [f for f in site.findings if f.release not in pages] if several(site) else site.findings
    yield _page("audit/index.md", "audit.md.j2", site, findings=shown, counted=site.findings, rules=rules,
                repo_url=site.config.get("repo_url"), history_rules=HISTORY_RULES, tombstones=site.tombstones,
                pages=pages, products=product_rows(site) if several(site) else [])


def product_audit(site: SiteData) -> Iterable[Output]:
    """The findings on a product's releases, on a page of their own (a site of several products)."""
    if not several(site):
        return
    of_product = _findings_by_product(site)
    repo_url = site.config.get("repo_url")
    for p in site.products:
        evaluations, findings = site.by_product[p], of_product.get(p, [])
        path = f"products/{product_slug(p)}/audit/index.md"
        yield Output(path, "audit_product.md.j2", functools.partial(
            _context, path, site, findings=findings, releases=len(evaluations), product=product_label(p),
            pages={e.release.name for e in evaluations}, repo_url=repo_url),
            key=_product_key(site, "product-audit", p, evaluations, findings, repo_url), alone=True)


RULE_DOCS = TEMPLATES / "audit-rules.md"
_RULE_BLOCK = re.compile(r"^<!-- rule: ([a-z0-9-]+) \| (error|warning) -->\n(.*?)(?=^<!-- rule: |\Z)", re.M | re.S)


def rule_docs() -> dict[str, tuple[str, str]]:
    """Rule id -> (severity, Markdown) from templates/audit-rules.md: what each audit rule checks."""
    return {m.group(1): (m.group(2), m.group(3).strip()) for m in _RULE_BLOCK.finditer(RULE_DOCS.read_text("utf-8"))}


def audit_rules_page(site: SiteData) -> Iterable[Output]:
    docs = rule_docs()
    counts = collections.Counter(f.rule for f in site.findings)
    rules = [(rule, *docs.get(rule, ("", "Not described yet."))) for rule in
             (r.__name__.replace("_", "-") for r in RULES)]
    yield _page("audit/rules/index.md", "audit_rules.md.j2", site, rules=rules, counts=counts)
