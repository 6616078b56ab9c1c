"""One person's normalised view, and the evidence for and against two people being the same.

:func:`person` builds the view from raw field values (a source record), :func:`stored_person` from the
columns of the identity index (a target record); :func:`assess` compares two of them field by field.
Everything here is pure: no API calls, no database.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import phonenumbers

from connector.matching.companies import (
    CompanyEvidence,
    company_base,
    company_key,
    compare_companies,
    legal_form,
)
from connector.matching.emails import (
    AddressKind,
    EmailComparison,
    address_kind,
    compare_emails,
    mailbox_key,
)
from connector.matching.names import NameEvidence, PersonName, compare_names, name_key
from connector.matching.normalize import normalize_email, normalize_phone
from connector.matching.settings import DEFAULT_SETTINGS, MatchSettings
from connector.matching.text import has_homoglyph

_PERSONAL_LINES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,  # 070/080/090
        phonenumbers.PhoneNumberType.VOIP,  # 050
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
    }
)
"""Line types that may belong to one person. Free-dial 0120/0800 (TOLL_FREE), navi-dial 0570 (UAN)
and shared-cost or premium numbers never do; a fixed line may still be a switchboard (代表番号)."""


@dataclass(frozen=True, slots=True)
class Person:
    """The normalised view of one person, source or target. Empty strings mean "not given"."""

    email: str = ""
    name: PersonName = field(default_factory=PersonName)
    company: str = ""  # company_key: normalised, without legal form, branch or department
    company_form: str = ""  # legal_form: "株式会社:pre" (前株), "株式会社:post" (後株) or ""
    phone: str = ""  # normalize_phone: E.164 where valid
    address_kind: AddressKind = AddressKind.PERSONAL

    @property
    def mailbox(self) -> str:
        return mailbox_key(self.email) if self.email else ""

    @property
    def is_role_address(self) -> bool:
        """A role, shared or placeholder address: it never links anyone on its own."""
        return bool(self.email) and self.address_kind is not AddressKind.PERSONAL

    @property
    def has_homoglyph(self) -> bool:
        return has_homoglyph(self.email)

    @property
    def name_key(self) -> str:
        return name_key(self.name)

    @property
    def phone_is_personal(self) -> bool:
        """The line type may be one person's (mobile, IP phone, fixed line); free-dial and navi-dial never.
        Whether a fixed line is a switchboard shared by many people is known only from the index."""
        return phone_is_personal(self.phone)


def person(
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    company: str | None = None,
    phone: str | None = None,
    region: str = "JP",
    settings: MatchSettings = DEFAULT_SETTINGS,
) -> Person:
    """A person from raw field values as typed (any width, order, spacing or display-name form).

    Without ``settings.phone_evidence`` the phone is left out: it is neither looked up nor compared.
    """
    address = normalize_email(email)
    return Person(
        email=address,
        name=PersonName.parse(first_name, last_name),
        company=company_key(company),
        company_form=legal_form(company),
        phone=normalize_phone(phone, region) if settings.phone_evidence else "",
        address_kind=address_kind(address, settings),
    )


def stored_person(
    *,
    email: str | None,
    person_name: str | None,
    company: str | None,
    company_form: str | None,
    phone: str | None,
    settings: MatchSettings = DEFAULT_SETTINGS,
) -> Person:
    """A person from identity-index columns (normalised values, see :func:`index_columns`)."""
    address = email or ""
    return Person(
        email=address,
        name=PersonName.stored(person_name),
        company=company_base(company or ""),
        company_form=company_form or "",
        phone=phone or "",
        address_kind=address_kind(address, settings),
    )


def index_columns(who: Person) -> dict[str, str | None]:
    """The identity-index columns this engine adds for a person (None where the person has no value)."""
    key = who.name_key
    return {
        "mailbox": who.mailbox or None,
        "name_key": key or None,
        "company_name_key": f"{who.company}|{key}" if who.company and key else None,
        "person_name": who.name.stored_form or None,
        "company_form": who.company_form or None,
    }


@lru_cache(maxsize=8192)
def phone_is_personal(phone: str) -> bool:
    """True for a valid number of a line type that can be one person's (see ``_PERSONAL_LINES``)."""
    if not phone.startswith("+"):
        return False
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in _PERSONAL_LINES


class PhoneEvidence(StrEnum):
    SAME = "phone same"
    SHARED = "same phone, but shared"  # a switchboard, free-dial or navi-dial number: no personal evidence
    DIFFERS = "phone differs"
    MISSING = "phone missing"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What speaks for and against one candidate being the source person; names no personal data."""

    email: EmailComparison
    name: NameEvidence
    company: CompanyEvidence
    phone: PhoneEvidence

    def describe(self) -> str:
        """E.g. "email nearly the same (one letter), name agrees, company same, phone missing"."""
        email = self.email.evidence.value + (f" ({self.email.detail})" if self.email.detail else "")
        return ", ".join((email, self.name.value, self.company.value, self.phone.value))


def assess(
    source: Person,
    candidate: Person,
    *,
    settings: MatchSettings = DEFAULT_SETTINGS,
    shared_phones: Collection[str] = (),
) -> Evidence:
    """The evidence about ``candidate`` being ``source``, field by field.

    ``shared_phones`` are numbers known to belong to several people (a switchboard: the index holds
    them for people with different names); they count as no evidence, like free-dial numbers.
    """
    return Evidence(
        email=compare_emails(source.email, candidate.email, settings),
        name=compare_names(source.name, candidate.name),
        company=compare_companies(
            source.company, source.company_form, candidate.company, candidate.company_form
        ),
        phone=_compare_phones(source.phone, candidate.phone, shared_phones),
    )


def _compare_phones(a: str, b: str, shared_phones: Collection[str]) -> PhoneEvidence:
    if not a or not b:
        return PhoneEvidence.MISSING
    if a != b:
        return PhoneEvidence.DIFFERS
    if a in shared_phones or not phone_is_personal(a):
        return PhoneEvidence.SHARED
    return PhoneEvidence.SAME
