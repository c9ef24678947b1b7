"""The team and its sign-off policy from readiness.yml: people (names, aliases, e-mails, keys), groups, and who
may sign each role or approve a waiver; names and commit authors are matched to people, not compared as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from generator.text import comparable

PERSON_KEYS = ("name", "emails", "aliases", "keys")
POLICY_KEYS = ("roles", "waivers")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
_EMAIL = re.compile(r"[^\s@<>\"'`&]{1,128}@[^\s@<>\"'`&]{1,253}\Z")
# git's allowed-signers key form: a key type and base64 data (a comment after them is allowed).
_KEY = re.compile(r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|"
                  r"sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{16,8192}={0,2}( [^\x00-\x1f<>\"&`]{0,200})?\Z")


@dataclass(frozen=True)
class Person:
    """One member of the team: an id, the name shown, the e-mails their commits use, other spellings, SSH keys."""

    id: str
    name: str
    emails: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    """Who may sign each listed role and who may approve waivers, as sets of person ids (groups expanded)."""

    roles: dict = field(default_factory=dict)  # role id -> sorted tuple of person ids
    waivers: Optional[tuple] = None  # None: anyone on the team (but never the item's recorder)


@dataclass(frozen=True)
class Team:
    """The people of readiness.yml, looked up by any spelling of their name or by a commit's e-mail."""

    people: dict  # id -> Person
    groups: dict = field(default_factory=dict)  # name -> tuple of person ids
    policy: Optional[Policy] = None
    _names: dict = field(default_factory=dict, repr=False)  # comparable spelling -> person id
    _emails: dict = field(default_factory=dict, repr=False)  # case-folded e-mail -> person id

    def person(self, name: Optional[str]) -> Optional[Person]:
        """The person a name (or alias) stands for, however spaced, cased or normalised; None when no one."""
        if not name:
            return None
        found = self._names.get(comparable(name))
        return self.people[found] if found else None

    def by_email(self, email: Optional[str]) -> Optional[Person]:
        """The person whose listed e-mails include a commit's author e-mail."""
        found = self._emails.get((email or "").strip().casefold())
        return self.people[found] if found else None

    def allowed_signers(self) -> str:
        """git's allowed-signers file for commit signatures: each key under its person's id as principal."""
        return "".join(f'{p.id} namespaces="git" {k}\n' for p in self.people.values() for k in p.keys)

    def names(self, ids) -> list[str]:
        """The names of people given by id, as a page lists them."""
        return [self.people[i].name for i in ids]

    def may_sign(self, role: str, person: Optional[Person]) -> bool:
        """Whether the policy lets `person` sign `role` (a role the policy does not list: anyone on the team)."""
        if person is None:
            return False
        allowed = self.policy.roles.get(role) if self.policy else None
        return allowed is None or person.id in allowed

    def may_waive(self, person: Optional[Person]) -> bool:
        if person is None:
            return False
        allowed = self.policy.waivers if self.policy else None
        return allowed is None or person.id in allowed


def signed_by(person: Optional[Person], commit) -> bool:
    """Whether a commit carries a good signature by one of the keys readiness.yml lists for `person`."""
    return person is not None and commit is not None and commit.signature.startswith("good") and \
        commit.signer == person.id


def uncounted(team: Optional[Team], signoffs, commits: dict, signed_commits: bool) -> dict[str, str]:
    """Why each sign-off does not count toward the verdict (role id -> reason; a role left out counts).

    With a policy, a sign-off by no one on the team, or by a person the policy does not let sign the role,
    does not count; with `audit.signed_commits`, neither does one whose recording commit (`commits`: role ->
    Commit, or None when not known) is not signed by a key of the person named. No team: every one counts."""
    out: dict[str, str] = {}
    if team is None:
        return out
    for s in signoffs:
        person = team.person(s.name)
        if team.policy is not None and person is None:
            out[s.role] = f"{s.name} is no one listed under people: in readiness.yml"
        elif team.policy is not None and not team.may_sign(s.role, person):
            out[s.role] = f"{person.name} may not sign this role (policy.roles.{s.role})"
        elif signed_commits and not signed_by(person, commits.get(s.role)):
            commit = commits.get(s.role)
            whose = f"a key of {person.name}" if person else "a key of a person listed in readiness.yml"
            out[s.role] = f"commit {commit.short}, which recorded it, is not signed by {whose}" if commit else \
                f"the commit that recorded it is not known (not committed, or before a shallow clone's first " \
                f"commit), so no signature by {whose} can be checked"
    return out


def read_team(reader, people_node, groups_node, policy_node) -> Optional[Team]:
    """The `people:`, `groups:` and `policy:` sections of readiness.yml, every problem reported at its place;
    None when no people are listed (then no policy applies and names are compared as today)."""
    if people_node is None:
        for node, key in ((groups_node, "groups"), (policy_node, "policy")):
            if node is not None:
                reader.error(node[0].loc, key, "needs a `people:` list to refer to; add the team or remove it")
        return None
    people: dict[str, Person] = {}
    names: dict[str, str] = {}
    emails: dict[str, str] = {}
    broken: set[str] = set()  # ids whose entry has an error: referring to them adds no second error
    for pid, node in _pairs(reader, people_node[1], "people"):
        person = _read_person(reader, pid, node)
        if person is None:
            broken.add(pid)
            continue
        people[pid] = person
        for spelling in (person.name,) + person.aliases:
            key = comparable(spelling)
            other = names.setdefault(key, pid)
            if other != pid:
                reader.error(node.loc, f"people.{pid}", f"`{spelling}` is also a name of `{other}`; a name or "
                             "alias must stand for one person")
        for email in person.emails:
            other = emails.setdefault(email.casefold(), pid)
            if other != pid:
                reader.error(node.loc, f"people.{pid}", f"e-mail {email} is also listed for `{other}`")
    groups: dict[str, tuple[str, ...]] = {}
    for name, node in _pairs(reader, groups_node[1], "groups") if groups_node else ():
        if name in people:
            reader.error(node.loc, f"groups.{name}", "a group must not have the id of a person; rename it")
            continue
        members = _ids(reader, node, f"groups.{name}", people, {}, broken)
        if members is None:
            broken.add(name)
        else:
            groups[name] = members
    policy = _read_policy(reader, policy_node[1], people, groups, broken) if policy_node else None
    return Team(people, groups, policy, names, emails)


def _pairs(reader, node, key: str):
    """(id, value) of a mapping whose keys are ids chosen by the user."""
    from generator.results import _Map

    if not isinstance(node, _Map):
        reader.error(node.loc, key, "expected a mapping of ids (lower-case letters, digits, - and _)")
        return
    seen: set[str] = set()
    for k, v in node.pairs:
        name = reader.key(k, key)
        if name is None:
            continue
        if not _ID.match(name):
            reader.error(k.loc, key, f"`{name}` is not an id; use lower-case letters, digits, - and _")
        elif name in seen:
            reader.error(k.loc, f"{key}.{name}", "duplicate key")
        else:
            seen.add(name)
            yield name, v


def _texts(reader, node, key: str) -> Optional[tuple[str, ...]]:
    from generator.results import _Seq

    if not isinstance(node, _Seq):
        reader.error(node.loc, key, "expected a list")
        return None
    out = [reader.text(v, key) for v in node.items]
    return tuple(t for t in out if t) if all(out) else None


def _read_person(reader, pid: str, node) -> Optional[Person]:
    from generator.results import _Scalar, _Seq

    where = f"people.{pid}"
    fields = reader.mapping(node, where, PERSON_KEYS)
    if not fields:
        return None
    if "name" not in fields:
        reader.error(node.loc, where, "needs a `name:` (the name sign-offs use)")
        return None
    name = reader.text(fields["name"][1], f"{where}.name")
    aliases = _texts(reader, fields["aliases"][1], f"{where}.aliases") if "aliases" in fields else ()
    emails = _texts(reader, fields["emails"][1], f"{where}.emails") if "emails" in fields else ()
    for email, item in zip(emails or (), fields["emails"][1].items if emails else ()):
        if not _EMAIL.match(email):
            reader.error(item.loc, f"{where}.emails", f"`{email}` is not an e-mail address")
            emails = None
    keys: list[str] = []
    if "keys" in fields:
        value = fields["keys"][1]
        items = value.items if isinstance(value, _Seq) else [value]
        for item in items:
            # A public key is not a secret, so it is not read through the secret scan of reader.text.
            if not (isinstance(item, _Scalar) and _KEY.match(item.value)):
                reader.error(item.loc, f"{where}.keys", "expected an SSH public key such as `ssh-ed25519 AAAA...`")
                return None
            keys.append(item.value)
    if name is None or aliases is None or emails is None:
        return None
    return Person(pid, name, emails, aliases, tuple(keys))


def _ids(reader, node, key: str, people: dict, groups: dict, broken: set) -> Optional[tuple[str, ...]]:
    """Person ids and group names, groups expanded to their people."""
    names = _texts(reader, node, key)
    if names is None:
        return None
    out: set[str] = set()
    for name in names:
        if name in people:
            out.add(name)
        elif name in groups:
            out.update(groups[name])
        elif name in broken:  # its own error is reported
            return None
        else:
            known = ", ".join(sorted(people) + sorted(groups))
            reader.error(node.loc, key, f"`{name}` is neither a person nor a group; expected one of {known}")
            return None
    return tuple(sorted(out))  # sorted, not a set: its repr is part of cache keys and must not vary


def _read_policy(reader, node, people: dict, groups: dict, broken: set) -> Optional[Policy]:
    fields = reader.mapping(node, "policy", POLICY_KEYS)
    roles: dict[str, tuple] = {}
    for role, value in _pairs(reader, fields["roles"][1], "policy.roles") if "roles" in fields else ():
        allowed = _ids(reader, value, f"policy.roles.{role}", people, groups, broken)
        if allowed is not None:
            roles[role] = allowed
    waivers = _ids(reader, fields["waivers"][1], "policy.waivers", people, groups, broken) \
        if "waivers" in fields else None
    return Policy(roles, waivers)
