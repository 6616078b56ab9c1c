"""Sales' view of a person: which Opportunity stands for them, and which values are revloop's own echo."""

from __future__ import annotations

from collections.abc import Sequence

from connector.flows.feedback.people import PeopleReader, flag
from connector.flows.feedback.snapshot import echoes, snapshot, snapshot_hash
from connector.records import Record


class Org:
    """Records by object, answering ``read_by_keys`` like the adapter (every match of every key)."""

    def __init__(self, **records: Sequence[Record]) -> None:
        self.records = records
        self.reads: list[str] = []

    def read_by_keys(self, obj, key_field, keys, fields):
        self.reads.append(obj)
        for record in self.records.get(obj, ()):
            value = record.id if key_field == "Id" else record.fields.get(key_field)
            if value in keys:
                yield record


def opportunity(opp_id: str, stage: str, closed: bool, close: str, modified: str) -> Record:
    return Record(opp_id, {"StageName": stage, "IsClosed": closed, "CloseDate": close}, modified)


def test_the_open_opportunity_stands_for_the_person_else_the_one_closed_last():
    contact = Record("003A", {"OwnerId": "005A", "Email": "ken@kaisha.example.com"})
    won = opportunity("006W", "Closed Won", True, "2026-10-01", "2026-10-01T00:00:00.000+0000")
    lost = opportunity("006L", "Closed Lost", True, "2026-11-01", "2026-09-01T00:00:00.000+0000")
    pilot = opportunity("006P", "Qualification", False, "2027-01-01", "2026-08-01T00:00:00.000+0000")
    roles = [
        Record(f"00K{i}", {"ContactId": "003A", "OpportunityId": o.id}) for i, o in enumerate((won, lost))
    ]
    org = Org(Contact=[contact], Opportunity=[won, lost, pilot], OpportunityContactRole=roles)

    (person,) = PeopleReader(org, []).from_contacts([contact])
    assert person.opportunity.id == "006L"  # no open one: the one that closes last

    org.records["OpportunityContactRole"] = [
        *roles,
        Record("00K9", {"ContactId": "003A", "OpportunityId": "006P"}),
    ]
    (person,) = PeopleReader(org, []).from_contacts([contact])
    assert person.opportunity.id == "006P" and person.lead is None and person.key == "003A"


def test_a_converted_lead_stands_for_its_contact_and_bulk_text_reads_as_booleans():
    lead = Record(
        "00QA", {"IsConverted": "true", "ConvertedContactId": "003A", "Status": "Closed - Converted"}
    )
    contact = Record("003A", {"OwnerId": "005A"})
    org = Org(Contact=[contact])

    (person,) = PeopleReader(org, ["Title"]).from_leads([lead])

    assert (person.key, person.object, person.lead, person.contact) == ("003A", "Contact", lead, contact)
    assert flag("true") and flag(True) and not flag("false") and not flag(None)
    item = snapshot(person, ["Title"], {"Closed - Not Converted"})
    assert item["values"]["is_converted"] is True and item["values"]["disqualified"] is False
    assert item["values"]["lead_id"] == "00QA" and item["values"]["salesforce_id"] == "003A"


def test_values_equal_to_what_revloop_wrote_are_echoes_and_do_not_change_the_hash():
    lead = Record("00QB", {"Status": "Working - Contacted", "OwnerId": "005A", "Title": "CTO"})
    (person,) = PeopleReader(Org(), ["Title"]).from_leads([lead])
    item = snapshot(person, ["Title"], ())

    written = {"Lead": {"00QB": {"Title": "CTO", "Status": "Open - Not Contacted"}}}

    assert echoes(item, written) == ["Title"]
    assert snapshot_hash(item) == snapshot_hash({**item, "echoes": ["Title"]})
