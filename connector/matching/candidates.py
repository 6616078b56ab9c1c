"""Target records found in the identity index, and which record stands for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connector.matching.evidence import Person


@dataclass(frozen=True, slots=True)
class Candidate:
    """A target record found in the identity index (a Salesforce Lead or Contact).

    ``person`` is the record's normalised view, which the identity engine
    (:func:`~connector.matching.decision.decide_identity`) compares.
    """

    object: str
    record_id: str
    is_converted: bool = False
    converted_contact_id: str | None = None
    account_id: str | None = None
    person: Person | None = field(default=None, compare=False, repr=False)

    @property
    def person_id(self) -> str:
        """The id of the person this record stands for: a converted Lead stands for its Contact."""
        if self.is_converted and self.converted_contact_id:
            return self.converted_contact_id
        return self.record_id

    def describe(self) -> str:
        if self.is_converted and self.converted_contact_id:
            return f"{self.object} {self.record_id} (converted to Contact {self.converted_contact_id})"
        return f"{self.object} {self.record_id}"


def representative(person_id: str, records: Sequence[Candidate]) -> Candidate:
    """The record to write for one person: the live record, or the Contact a converted Lead became."""
    for candidate in records:
        if candidate.record_id == person_id:
            return candidate
    lead = records[0]
    return Candidate("Contact", person_id, account_id=lead.account_id, person=lead.person)
