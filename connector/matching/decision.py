"""Decide on evidence whether a source person is a target record: link, review, or create (名寄せ).

Every candidate the index lookups found (:func:`lookup_keys`) is assessed field by field
(:func:`~connector.matching.evidence.assess`) and rated:

- **strong**: the same personal email after normalisation, names not contradicting;
- **plausible**: a likely typo or the same mailbox under another domain with the name agreeing; the name
  agreeing while one side has no email and company or phone agree; name and personal phone agreeing
  while the email differs (a job change); a role or placeholder address with the same name; a
  look-alike (homoglyph) address; the same email with the given name agreeing and the family name not;
- **none**: everything else, such as the same name at one company with clearly different personal
  emails (a large company has several 佐藤 健) or a shared address under another name.

One strong person, and no other person holding that email, is a **link**. Several people holding the
email, plausible people, or a strong one already linked to another source record go to **review**.
Nothing plausible is a **create**. Contradicting evidence vetoes a link. A converted Lead and its Contact
are one person. Explanations name record ids and evidence kinds, never personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple

from connector.matching.candidates import Candidate, representative
from connector.matching.companies import CompanyEvidence
from connector.matching.emails import EmailEvidence
from connector.matching.evidence import Evidence, Person, PhoneEvidence, assess
from connector.matching.names import NameEvidence, name_key
from connector.matching.settings import DEFAULT_SETTINGS, MatchSettings
from connector.matching.text import homoglyph_scripts

LOOKUP_COLUMNS = ("email", "mailbox", "company_name_key", "name_key", "phone")
"""Identity-index columns candidates are looked up by, in the order :func:`lookup_keys` lists them."""


class Outcome(StrEnum):
    LINK = "link"
    REVIEW = "review"
    CREATE = "create"


class Strength(IntEnum):
    NONE = 0
    PLAUSIBLE = 1
    STRONG = 2


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a candidate is (or is not) the person: ``code`` for machines, ``text`` for admins."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Assessment:
    candidate: Candidate
    evidence: Evidence
    strength: Strength
    reason: Reason


@dataclass(frozen=True, slots=True)
class IdentityDecision:
    """The outcome for one source person.

    ``link``: ``candidate`` is the record to link and write (a converted Lead's Contact).
    ``review``: ``candidates`` holds one record per plausible person, ``reasons`` why, in the same order.
    ``create``: nothing plausible. ``code`` names the deciding reason (``same_email``, ``email_near``,
    ``several_people``, ``linked_elsewhere``, ``no_candidate``, ...); ``assessments`` keeps the evidence
    on every candidate.
    """

    kind: Outcome
    code: str
    explanation: str
    candidate: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()
    reasons: tuple[Reason, ...] = ()
    assessments: tuple[Assessment, ...] = ()


def lookup_keys(who: Person, settings: MatchSettings = DEFAULT_SETTINGS) -> dict[str, str]:
    """The identity-index values to look this person's candidates up by, per column of LOOKUP_COLUMNS.

    The mailbox is skipped for role and placeholder addresses and short names (found everywhere), the
    name alone unless it has a family and a given name, and the phone unless its line type can be one
    person's. Look them up for a whole batch at once, and skip values found on more than
    ``settings.candidates_per_key`` records.
    """
    keys = {
        "email": who.email,
        "mailbox": who.mailbox
        if not who.is_role_address and len(who.mailbox) >= settings.min_mailbox_length
        else "",
        "company_name_key": f"{who.company}|{who.name_key}" if who.company and who.name_key else "",
        "name_key": who.name_key if len(who.name.parts) >= 2 else "",
        "phone": who.phone if who.phone_is_personal else "",
    }
    return {column: value for column, value in keys.items() if value}


def decide_identity(
    source: Person,
    candidates: Iterable[Candidate],
    *,
    settings: MatchSettings = DEFAULT_SETTINGS,
    shared_phones: Collection[str] = (),
    linked_elsewhere: Collection[str] = (),
) -> IdentityDecision:
    """Link, review or create for ``source`` given the candidate records found for it.

    Every candidate needs its ``person``. ``shared_phones``: numbers the index holds for people with
    different names (switchboards); numbers shared by candidates under different names count too.
    ``linked_elsewhere``: target record ids already linked to another source record.
    """
    unique = list({(c.object, c.record_id): c for c in candidates if c.person is not None}.values())
    shared = set(shared_phones) | _phones_of_several_people(unique)
    assessments = tuple(_assess(source, c, settings, shared) for c in unique)
    people: dict[str, list[Assessment]] = {}
    for assessment in assessments:
        people.setdefault(assessment.candidate.person_id, []).append(assessment)
    best = {pid: max(found, key=lambda a: a.strength) for pid, found in people.items()}
    holders = [pid for pid, found in people.items() if any(_same_email(a) for a in found)]
    plausible = [pid for pid, a in best.items() if a.strength is not Strength.NONE]
    if len(holders) > 1 and plausible:
        listing = "; ".join(_who(people[pid]) for pid in holders)
        text = f"{len(holders)} unrelated records hold this email, duplicates or a shared address ({listing})"
        headline = Reason("several_people", text)
        others = [pid for pid in plausible if pid not in holders]
        return _review(people, best, [*holders, *others], assessments, headline)
    strong = [pid for pid, a in best.items() if a.strength is Strength.STRONG]
    if strong:
        return _link(strong[0], people, best, assessments, linked_elsewhere)
    if plausible:
        return _review(people, best, plausible, assessments)
    code = "none_plausible" if people else "no_candidate"
    return IdentityDecision(Outcome.CREATE, code, _create_explanation(people, best), assessments=assessments)


def _link(
    pid: str,
    people: Mapping[str, list[Assessment]],
    best: Mapping[str, Assessment],
    assessments: tuple[Assessment, ...],
    linked_elsewhere: Collection[str],
) -> IdentityDecision:
    if {pid, *(a.candidate.record_id for a in people[pid])} & set(linked_elsewhere):
        headline = Reason("linked_elsewhere", f"{_who(people[pid])}: already linked to another source record")
        return _review(people, best, [pid], assessments, headline)
    chosen = representative(pid, [a.candidate for a in people[pid]])
    explanation = f"link: {_who(people[pid])}: {best[pid].evidence.describe()}"
    reason = best[pid].reason
    return IdentityDecision(Outcome.LINK, reason.code, explanation, chosen, (chosen,), (reason,), assessments)


def _assess(source: Person, candidate: Candidate, settings: MatchSettings, shared: set[str]) -> Assessment:
    assert candidate.person is not None
    evidence = assess(source, candidate.person, settings=settings, shared_phones=shared)
    rating = _rate(evidence)
    why = rating.text or evidence.describe()
    if rating.code == "homoglyph":
        scripts = ", ".join(s.title() for s in homoglyph_scripts(source.email + candidate.person.email))
        why = f"homoglyph in email: looks like this record's address but is not ({scripts} letters)"
    return Assessment(
        candidate, evidence, rating.strength, Reason(rating.code, f"{candidate.describe()}: {why}")
    )


class Rating(NamedTuple):
    strength: Strength
    code: str = ""
    text: str = ""  # for a plausible candidate: why, in evidence kinds


_NONE = Rating(Strength.NONE)


def _rate(evidence: Evidence) -> Rating:
    """How strongly one candidate's evidence says it is the source person."""
    by_email = _BY_EMAIL.get(evidence.email.evidence)
    return by_email(evidence) if by_email else _rate_without_same_email(evidence)


def _rate_same(evidence: Evidence) -> Rating:
    if not evidence.name.contradicts:
        return Rating(Strength.STRONG, "same_email")
    if evidence.name is NameEvidence.FAMILY_DIFFERS:
        return Rating(
            Strength.PLAUSIBLE, "name_changed", "same email, given name agrees, family name differs"
        )
    return Rating(Strength.NONE, "shared_email")  # another person at the same address


def _rate_shared(evidence: Evidence) -> Rating:
    if evidence.name.agrees:
        return Rating(Strength.PLAUSIBLE, "role_address", f"role or shared address, {evidence.name.value}")
    return _NONE


def _rate_homoglyph(evidence: Evidence) -> Rating:
    return _NONE if evidence.name.contradicts else Rating(Strength.PLAUSIBLE, "homoglyph")


def _rate_near(evidence: Evidence) -> Rating:
    if evidence.name.contradicts:
        return _NONE
    text = f"email nearly the same ({evidence.email.detail}), {evidence.name.value}"
    return Rating(Strength.PLAUSIBLE, "email_near", text)


def _rate_same_mailbox(evidence: Evidence) -> Rating:
    if evidence.name.agrees:
        text = f"same mailbox under another domain, {evidence.name.value}"
        return Rating(Strength.PLAUSIBLE, "same_mailbox", text)
    return _rate_without_same_email(evidence)


_BY_EMAIL: dict[EmailEvidence, Callable[[Evidence], Rating]] = {
    EmailEvidence.SAME: _rate_same,
    EmailEvidence.SAME_SHARED: _rate_shared,
    EmailEvidence.HOMOGLYPH: _rate_homoglyph,
    EmailEvidence.NEAR: _rate_near,
    EmailEvidence.SAME_MAILBOX: _rate_same_mailbox,
}


def _rate_without_same_email(evidence: Evidence) -> Rating:
    """Different or no personal email: name, phone and company must carry it, and can only reach review."""
    email, name = evidence.email.evidence, evidence.name
    phone_same = evidence.phone is PhoneEvidence.SAME
    company_same = evidence.company is CompanyEvidence.SAME
    if not email.absent:
        if name.agrees and phone_same:
            return Rating(
                Strength.PLAUSIBLE, "job_change", f"{name.value}, phone same, email differs (a job change?)"
            )
        return _NONE
    if name.agrees and (phone_same or company_same):
        agreeing = " and ".join(k for k, same in (("company", company_same), ("phone", phone_same)) if same)
        return Rating(Strength.PLAUSIBLE, "no_email", f"{name.value}, {email.value}, {agreeing} same")
    weak_name = name in (NameEvidence.PARTIAL, NameEvidence.MISSING, NameEvidence.UNCOMPARABLE)
    if weak_name and phone_same and (company_same or name is NameEvidence.PARTIAL):
        agreeing = "company and phone" if company_same else "phone"
        return Rating(Strength.PLAUSIBLE, "no_email", f"{name.value}, {email.value}, {agreeing} same")
    return _NONE


def _same_email(assessment: Assessment) -> bool:
    return assessment.evidence.email.evidence is EmailEvidence.SAME


def _phones_of_several_people(candidates: Sequence[Candidate]) -> set[str]:
    """Phones that candidates with different names carry: a switchboard, whatever the index says."""
    names: dict[str, set[str]] = {}
    for candidate in candidates:
        assert candidate.person is not None
        if candidate.person.phone:
            names.setdefault(candidate.person.phone, set()).add(name_key(candidate.person.name))
    return {phone for phone, keys in names.items() if len(keys - {""}) > 1}


def _review(
    people: Mapping[str, list[Assessment]],
    best: Mapping[str, Assessment],
    person_ids: Sequence[str],
    assessments: tuple[Assessment, ...],
    headline: Reason | None = None,
) -> IdentityDecision:
    chosen = tuple(representative(pid, [a.candidate for a in people[pid]]) for pid in person_ids)
    reasons = tuple(best[pid].reason for pid in person_ids)
    texts = ([headline.text] if headline else []) + [r.text for r in reasons]
    code = headline.code if headline else reasons[0].code
    explanation = "review: " + "; ".join(texts)
    return IdentityDecision(Outcome.REVIEW, code, explanation, None, chosen, reasons, assessments)


def _who(found: Sequence[Assessment]) -> str:
    return ", ".join(dict.fromkeys(a.candidate.describe() for a in found))


def _create_explanation(people: Mapping[str, list[Assessment]], best: Mapping[str, Assessment]) -> str:
    if not people:
        return "create: no candidate"
    shown = [best[pid].reason.text for pid in list(people)[:5]]
    more = f"; and {len(people) - 5} more" if len(people) > 5 else ""
    return f"create: {len(people)} candidate(s), none plausible ({'; '.join(shown)}{more})"
