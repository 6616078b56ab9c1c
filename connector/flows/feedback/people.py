"""Sales' view of each person, assembled from Salesforce: the Lead, the Contact it became and the person's
open or latest Opportunity.

A change to any of them (a Lead, a Contact, an Opportunity, a contact role) names the people it
concerns; :class:`PeopleReader` reads what else each one needs, in batches (queries with IN lists, cut to
URL-safe chunks by the adapter), and never one record at a time. Owners' emails are looked up when the
people are written (:mod:`.owners`), so re-reading unchanged people reads nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from connector.records import Record
from connector.systems.base import System

LEAD_FIELDS = ("Status", "OwnerId", "IsConverted", "ConvertedContactId", "ConvertedAccountId",
               "ConvertedOpportunityId", "Email", "FirstName", "LastName", "Company", "Phone")  # fmt: skip
CONTACT_FIELDS = ("OwnerId", "AccountId", "Email", "FirstName", "LastName", "Phone")
OPPORTUNITY_FIELDS = ("StageName", "IsClosed", "IsWon", "CloseDate", "SystemModstamp")
ROLE_FIELDS = ("OpportunityId", "ContactId")


def flag(value: object) -> bool:
    """A Salesforce checkbox as read by SOQL (a bool) or by Bulk API 2.0 (the text "true")."""
    return value is True or str(value).lower() == "true"


@dataclass(frozen=True)
class Person:
    """One person as sales sees them. ``key`` is their live Salesforce record: the Contact once the Lead
    is converted (or for a Contact sales created directly), else the Lead."""

    key: str
    object: str  # "Lead" or "Contact"
    lead: Record | None = None
    contact: Record | None = None
    opportunity: Record | None = None

    @property
    def record(self) -> Record:
        """The person's live record (the Contact, else the Lead)."""
        return self.contact or self.lead  # type: ignore[return-value]


class PeopleReader:
    """Assembles people for pages of Salesforce changes; ``person_fields`` are the mapping's own fields
    of the person's record (each exists on Lead and Contact)."""

    def __init__(self, source: System, person_fields: Sequence[str]) -> None:
        self.source = source
        self.lead_fields = [*LEAD_FIELDS, *person_fields]
        self.contact_fields = [*CONTACT_FIELDS, *person_fields]

    # ---- what each kind of change concerns ------------------------------------------------------------
    def from_leads(self, leads: Iterable[Record]) -> list[Person]:
        """A converted Lead stands for its Contact; the others are people of their own."""
        open_leads, converted = [], {}
        for lead in leads:
            contact_id = lead.fields.get("ConvertedContactId")
            if flag(lead.fields.get("IsConverted")) and contact_id:
                converted[str(contact_id)] = lead
            else:
                open_leads.append(lead)
        people = [Person(lead.id, "Lead", lead=lead) for lead in open_leads]
        people += self._contacts(self._read("Contact", "Id", list(converted), self.contact_fields), converted)
        return people

    def from_contacts(self, contacts: Iterable[Record]) -> list[Person]:
        return self._contacts(list(contacts), {})

    def from_contact_ids(self, ids: Iterable[str]) -> list[Person]:
        return self.from_contacts(self._read("Contact", "Id", list(dict.fromkeys(ids)), self.contact_fields))

    def from_opportunities(self, opportunities: Iterable[Record]) -> list[Person]:
        """The people of changed Opportunities: their contact roles, and the Leads converted into them."""
        ids = [record.id for record in opportunities]
        roles = self._read("OpportunityContactRole", "OpportunityId", ids, ROLE_FIELDS)
        leads = self._read("Lead", "ConvertedOpportunityId", ids, ["ConvertedContactId"])
        contact_ids = [r.fields.get("ContactId") for r in roles] + [
            r.fields.get("ConvertedContactId") for r in leads
        ]
        return self.from_contact_ids(str(i) for i in contact_ids if i)

    def from_roles(self, roles: Iterable[Record]) -> list[Person]:
        return self.from_contact_ids(str(r.fields["ContactId"]) for r in roles if r.fields.get("ContactId"))

    # ---- assembly ---------------------------------------------------------------------------------------
    def _contacts(self, contacts: Sequence[Record], leads: Mapping[str, Record]) -> list[Person]:
        """People for ``contacts``: the Lead each was converted from (``leads`` when already read) and
        its open or latest Opportunity (contact roles and the conversion's Opportunity)."""
        ids = [contact.id for contact in contacts]
        missing = [i for i in ids if i not in leads]
        converted_from = dict(leads)
        for lead in self._read("Lead", "ConvertedContactId", missing, self.lead_fields):
            converted_from.setdefault(str(lead.fields.get("ConvertedContactId")), lead)
        opportunities = self._opportunities(ids, converted_from)
        return [
            Person(contact.id, "Contact", converted_from.get(contact.id), contact,
                   _open_or_latest(opportunities.get(contact.id, ())))
            for contact in contacts
        ]  # fmt: skip

    def _opportunities(
        self, contact_ids: Sequence[str], leads: Mapping[str, Record]
    ) -> dict[str, list[Record]]:
        """Each Contact's Opportunities: by contact role, and the one its Lead's conversion created."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for role in self._read("OpportunityContactRole", "ContactId", contact_ids, ROLE_FIELDS):
            wanted[str(role.fields.get("ContactId"))].add(str(role.fields.get("OpportunityId")))
        for contact_id, lead in leads.items():
            if lead.fields.get("ConvertedOpportunityId"):
                wanted[contact_id].add(str(lead.fields["ConvertedOpportunityId"]))
        ids = sorted({opportunity for found in wanted.values() for opportunity in found})
        read = {r.id: r for r in self._read("Opportunity", "Id", ids, OPPORTUNITY_FIELDS)}
        return {contact: [read[o] for o in found if o in read] for contact, found in wanted.items()}

    def _read(self, obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str]) -> list[Record]:
        return list(self.source.read_by_keys(obj, key_field, keys, fields)) if keys else []


def _open_or_latest(opportunities: Sequence[Record]) -> Record | None:
    """The open Opportunity changed last; when none is open, the one that closed last."""
    if not opportunities:
        return None
    open_ones = [o for o in opportunities if not flag(o.fields.get("IsClosed"))]
    if open_ones:
        return max(open_ones, key=lambda o: (str(o.modified_at or ""), o.id))
    return max(
        opportunities, key=lambda o: (str(o.fields.get("CloseDate") or ""), str(o.modified_at or ""), o.id)
    )
