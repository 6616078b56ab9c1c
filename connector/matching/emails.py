"""E-mail addresses as evidence: personal, role or placeholder; the same, nearly the same, or different.

Works on addresses already normalised by :func:`~connector.matching.normalize.normalize_email`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from connector.matching.settings import MatchSettings
from connector.matching.text import has_homoglyph, skeleton

_SEPARATORS = re.compile(r"[.\-_]")


class AddressKind(StrEnum):
    PERSONAL = "personal"
    ROLE = "role"  # a department or shared inbox: info@, eigyo@, noreply@
    PLACEHOLDER = "placeholder"  # typed to get past a form: test@, a@a.jp, dummy@example.com


class EmailEvidence(StrEnum):
    SAME = "same email"
    SAME_SHARED = "same role or placeholder address"
    HOMOGLYPH = "homoglyph in email"
    NEAR = "email nearly the same"
    SAME_MAILBOX = "same mailbox under another domain"
    DIFFERENT = "different email"
    NOT_PERSONAL = "no personal email on one side"  # a role or placeholder address: no evidence either way
    MISSING = "email missing"

    @property
    def absent(self) -> bool:
        """No personal address to compare on at least one side."""
        return self in (EmailEvidence.MISSING, EmailEvidence.NOT_PERSONAL)


@dataclass(frozen=True, slots=True)
class EmailComparison:
    evidence: EmailEvidence
    detail: str = ""  # why nearly the same, or how the same: for review reasons; never the address


def split_address(email: str) -> tuple[str, str]:
    """(local part, domain); the domain is "" when the text holds no single @."""
    local, at, domain = email.rpartition("@")
    return (local, domain) if at and local and "@" not in local else (email, "")


def mailbox_key(email: str) -> str:
    """The mailbox name for lookups across domains: look-alike letters as Latin, without a +tag, dots,
    hyphens or underscores. "K.Yamada+event@a.jp" and "kyamada@b.jp" share "kyamada"."""
    local, _ = split_address(email)
    return _SEPARATORS.sub("", skeleton(local).split("+", 1)[0])


def address_kind(email: str, settings: MatchSettings) -> AddressKind:
    """Whether an address belongs to one person, to a role or department, or is a placeholder."""
    local, domain = split_address(email)
    words = [w.rstrip("0123456789") for w in _SEPARATORS.split(local.split("+", 1)[0]) if w]
    joined = "".join(words)
    if _is_placeholder(local, domain, joined, settings):
        return AddressKind.PLACEHOLDER
    if joined in settings.role_mailboxes or (words and words[0] in settings.role_mailboxes):
        return AddressKind.ROLE
    return AddressKind.PERSONAL


_SECOND_LEVEL = frozenset(("co", "ne", "or", "ac", "go", "ed", "lg", "gr", "ad", "com", "net", "org"))
"""Second-level labels under a country code (example.co.jp, example.com.au): not the registrant's name."""


def _registered_name(domain: str) -> str:
    """The label the owner registered: "sakura-shoji" in mail.sakura-shoji.co.jp, "a" in a.jp."""
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else domain


def _is_placeholder(local: str, domain: str, joined: str, settings: MatchSettings) -> bool:
    return (
        not domain
        or domain in settings.placeholder_domains
        or domain.rsplit(".", 1)[-1] in ("invalid", "test", "example", "localhost")
        or len(_registered_name(domain)) == 1  # a@a.jp, x@y.co.jp
        or joined in settings.placeholder_mailboxes
        or (len(set(local)) == 1 and len(local) <= 4)  # a@, aaa@, xxxx@
    )


def provider_canonical(email: str, settings: MatchSettings) -> str:
    """The address as the provider delivers it: Gmail ignores dots, several providers ignore a +tag."""
    local, domain = split_address(email)
    if domain in settings.providers_ignoring_plus:
        local = local.split("+", 1)[0]
    if domain in settings.providers_ignoring_dots:
        local = local.replace(".", "")
    return f"{local}@{domain}" if domain else email


def compare_emails(a: str, b: str, settings: MatchSettings) -> EmailComparison:
    """How two normalised addresses relate (see :class:`EmailEvidence`). Symmetric.

    A look-alike letter is never the same address; a difference in digits is never a typo (companies
    number same-name employees: k.yamada@, k.yamada2@). A role or placeholder address is the same only
    as itself; against any other address it is no personal email at all (``NOT_PERSONAL``).
    """
    if not a or not b:
        return EmailComparison(EmailEvidence.MISSING)
    shared = AddressKind.PERSONAL not in (address_kind(a, settings), address_kind(b, settings))
    if has_homoglyph(a) or has_homoglyph(b):
        if skeleton(a) == skeleton(b):
            return EmailComparison(EmailEvidence.HOMOGLYPH, "looks like the same address but is not")
    elif a == b or provider_canonical(a, settings) == provider_canonical(b, settings):
        evidence = EmailEvidence.SAME_SHARED if shared else EmailEvidence.SAME
        return EmailComparison(evidence, "" if a == b else "the provider ignores dots and +tags")
    if shared or address_kind(a, settings) != address_kind(b, settings):
        return EmailComparison(EmailEvidence.NOT_PERSONAL)
    return _compare_personal(a, b)


def _compare_personal(a: str, b: str) -> EmailComparison:
    (local_a, domain_a), (local_b, domain_b) = split_address(a), split_address(b)
    if domain_a == domain_b:
        detail = _local_typo(local_a, local_b)
        return EmailComparison(EmailEvidence.NEAR if detail else EmailEvidence.DIFFERENT, detail)
    if _SEPARATORS.sub("", local_a) != _SEPARATORS.sub("", local_b):
        return EmailComparison(EmailEvidence.DIFFERENT)
    if min(len(domain_a), len(domain_b)) >= 5 and one_edit(domain_a, domain_b):
        return EmailComparison(EmailEvidence.NEAR, f"domain {one_edit(domain_a, domain_b)}")
    return EmailComparison(EmailEvidence.SAME_MAILBOX)


def _local_typo(a: str, b: str) -> str:
    """Why two local parts at one domain look like one typed twice, or "" when they do not."""
    if _strip_digits(a) == _strip_digits(b):
        return ""  # k.yamada and k.yamada2: numbered colleagues, not a typo
    if _SEPARATORS.sub("", a) == _SEPARATORS.sub("", b):
        return "a dot or hyphen dropped"
    if a.split("+", 1)[0] == b.split("+", 1)[0]:
        return "a +tag"
    if min(len(a), len(b)) >= 4:
        return one_edit(a, b)
    return ""


def _strip_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())


def one_edit(a: str, b: str) -> str:
    """ "one letter" or "letters swapped" when ``b`` is ``a`` with one letter changed, added, removed or
    two neighbours swapped (Damerau-Levenshtein distance 1); "" otherwise (also when equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return ""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    middle_a, middle_b = a[start:end_a], b[start:end_b]
    if len(middle_a) <= 1 and len(middle_b) <= 1:
        return "one letter"
    if len(middle_a) == len(middle_b) == 2 and middle_a == middle_b[::-1]:
        return "letters swapped"
    return ""
