"""Route a new person to a customer Account: a Contact there when exactly one customer has the company.

Whether the person already exists is decided on evidence (:mod:`connector.matching.decision`). A
company name matching several customer Accounts is ``ambiguous``: revloop never picks one. Explanations
name record ids, never personal data, so they can be stored and shown to admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from connector.matching.normalize import normalize_company

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
