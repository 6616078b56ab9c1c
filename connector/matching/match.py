"""Decide whether a person already exists in the target: link to it, create it, or refuse to guess.

Pure decisions over candidates the flow has looked up. Rules run in the configured order and the
first rule that found anyone decides. Candidates that are the same person count once: a converted
Lead and the Contact it became are one person. Several different people is ``ambiguous`` — revloop
never picks one, because linking to the wrong record is worse than a sync error an admin can resolve.
Explanations name record ids, never personal data, so they can be stored and shown to admins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from connector.matching.candidates import Candidate, representative
from connector.matching.normalize import IdentityKeys, normalize_company


class MatchKind(StrEnum):
    LINK = "link"
    AMBIGUOUS = "ambiguous"
    CREATE = "create"


@dataclass(frozen=True, slots=True)
class MatchDecision:
    """The outcome for one person.

    ``link``: ``candidate`` is the record to link to and write (for a converted Lead, its Contact:
    object "Contact", the Contact's id and the Lead's ``account_id``). ``ambiguous``: ``candidates``
    holds one record per distinct person. ``create``: nothing matched. ``matched`` keeps every
    record the deciding rule found.
    """

    kind: MatchKind
    rule: str | None
    explanation: str
    candidate: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()
    matched: tuple[Candidate, ...] = ()


def decide(
    person_keys: IdentityKeys,
    candidates_by_rule: Mapping[str, Sequence[Candidate]],
    order: Sequence[str],
) -> MatchDecision:
    """Apply the rules in ``order``; the first rule with candidates decides (rules the person has no
    key for are skipped). Raises ValueError for an unknown rule name."""
    for rule in order:
        if person_keys.key(rule) is None:
            continue
        found = tuple(candidates_by_rule.get(rule, ()))
        if found:
            return _decide_rule(rule, found)
    return MatchDecision(MatchKind.CREATE, None, f"no match by {', '.join(order)}: create")


def _decide_rule(rule: str, found: tuple[Candidate, ...]) -> MatchDecision:
    people: dict[str, list[Candidate]] = {}
    for candidate in found:
        people.setdefault(candidate.person_id, []).append(candidate)
    if len(people) == 1:
        ((person_id, records),) = people.items()
        chosen = representative(person_id, records)
        explanation = f"{rule} matches {', '.join(_unique(c.describe() for c in records))}"
        return MatchDecision(MatchKind.LINK, rule, explanation, chosen, (chosen,), found)
    representatives = tuple(representative(pid, records) for pid, records in people.items())
    listing = "; ".join(", ".join(_unique(c.describe() for c in records)) for records in people.values())
    explanation = f"{rule} matches {len(people)} different people: {listing}"
    return MatchDecision(MatchKind.AMBIGUOUS, rule, explanation, None, representatives, found)


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


# ---- routing to a customer Account


class AccountKind(StrEnum):
    ROUTE = "route"
    AMBIGUOUS = "ambiguous"
    LEAD = "lead"


@dataclass(frozen=True, slots=True)
class AccountCandidate:
    """An Account whose name may match; ``is_customer`` is decided by the flow (e.g. Type = Customer)."""

    account_id: str
    name: str
    is_customer: bool


@dataclass(frozen=True, slots=True)
class AccountDecision:
    """``route``: create a Contact on ``account``; ``lead``: create a Lead; ``ambiguous``: refuse to guess."""

    kind: AccountKind
    explanation: str
    account: AccountCandidate | None = None
    accounts: tuple[AccountCandidate, ...] = ()


def match_account(company_norm: str, accounts: Sequence[AccountCandidate]) -> AccountDecision:
    """Route a person to a Contact when exactly one customer Account has their normalised company name.

    ``company_norm`` is :func:`~connector.matching.normalize.normalize_company` of the person's company;
    account names are normalised here. Non-customer accounts never route.
    """
    if not company_norm:
        return AccountDecision(AccountKind.LEAD, "no company name: create a Lead")
    customers = tuple(
        {
            a.account_id: a for a in accounts if a.is_customer and normalize_company(a.name) == company_norm
        }.values()
    )
    if not customers:
        return AccountDecision(AccountKind.LEAD, "no customer Account has this company name: create a Lead")
    if len(customers) == 1:
        (account,) = customers
        return AccountDecision(
            AccountKind.ROUTE, f"company matches customer Account {account.account_id}", account, customers
        )
    ids = ", ".join(a.account_id for a in customers)
    return AccountDecision(
        AccountKind.AMBIGUOUS, f"company matches {len(customers)} customer Accounts: {ids}", None, customers
    )
