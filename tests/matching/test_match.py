"""Routing a new person to a customer Account: exactly one customer Account with the company name."""

from __future__ import annotations

from connector.matching import (
    AccountCandidate,
    AccountKind,
    match_account,
    normalize_company,
)

# ---- routing to a customer Account

ACME = AccountCandidate("001A", "ACME株式会社", is_customer=True)


def test_one_customer_account_with_the_name_routes():
    decision = match_account(
        normalize_company("(株)ＡＣＭＥ"), [ACME, AccountCandidate("001B", "Other", True)]
    )
    assert (decision.kind, decision.account) == (AccountKind.ROUTE, ACME)
    assert decision.explanation == "company matches customer Account 001A"


def test_prospect_accounts_and_unknown_names_mean_a_lead():
    prospect = AccountCandidate("001C", "ACME Inc.", is_customer=False)
    assert match_account("acme", [prospect]).kind is AccountKind.LEAD
    assert match_account("acme", []).kind is AccountKind.LEAD
    assert match_account("", [ACME]).kind is AccountKind.LEAD


def test_several_customer_accounts_are_ambiguous():
    twin = AccountCandidate("001D", "ACME Co., Ltd.", is_customer=True)
    decision = match_account("acme", [ACME, twin, ACME])
    assert (decision.kind, decision.account, decision.accounts) == (AccountKind.AMBIGUOUS, None, (ACME, twin))
    assert decision.explanation == "company matches 2 customer Accounts: 001A, 001D"
