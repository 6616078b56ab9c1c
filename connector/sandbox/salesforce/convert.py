"""Lead conversion in the Salesforce fake, as a salesperson converts a Lead in the UI (a sandbox extra).

The Lead becomes a Contact (on a new Account unless one is given) and, when asked, an Opportunity whose
primary contact role is the new Contact; the Lead is marked converted and points at all three. All of it
happens in one transaction, like Salesforce's convertLead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.sandbox.salesforce.objects import OBJECTS
from connector.sandbox.salesforce.store import Row, normalize_id
from connector.sandbox.salesforce.validate import SaveError
from connector.sandbox.salesforce.writes import WriteOptions, Writer

CONVERTED_FIELDS = (
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "Title",
    "LeadSource",
    "OwnerId",
    "Revloop_MA_Id__c",
)
"""Lead fields copied to the new Contact (the org's lead field mapping includes the MA id)."""
FIRST_STAGE = "Prospecting"
CLOSE_IN_DAYS = 30


def convert_lead(
    writer: Writer, lead_id: str, account_id: str | None = None, opportunity_name: str | None = None
) -> dict[str, str]:
    """Convert a Lead: a Contact (and an Account unless given; an Opportunity when ``opportunity_name``),
    all or nothing. Returns the ids: leadId, contactId, accountId (and opportunityId)."""
    lead = writer._existing(OBJECTS["Lead"], lead_id)
    if lead.get("IsConverted"):
        raise SaveError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
    writer.org.begin()
    try:
        converted = _convert(writer, lead, account_id, opportunity_name)
    except SaveError:
        writer.org.rollback()
        raise
    writer.org.commit()
    return converted


def _convert(
    writer: Writer, lead: Row, account_id: str | None, opportunity_name: str | None
) -> dict[str, str]:
    options = WriteOptions(auto_assign="FALSE", actor=lead["OwnerId"])
    if account_id is None:
        account = {"Name": lead["Company"], "OwnerId": lead["OwnerId"]}
        account_id = writer.create(OBJECTS["Account"], account, options)
    contact = {name: lead[name] for name in CONVERTED_FIELDS if lead.get(name) is not None}
    contact_id = writer.create(OBJECTS["Contact"], {**contact, "AccountId": account_id}, options)
    converted = {
        "IsConverted": True,
        "ConvertedContactId": contact_id,
        "ConvertedAccountId": normalize_id(account_id),
        "ConvertedDate": datetime.now(UTC).date().isoformat(),
        "Status": "Closed - Converted",
    }
    answer = {"leadId": lead["Id"], "contactId": contact_id, "accountId": converted["ConvertedAccountId"]}
    if opportunity_name:
        opportunity_id = _opportunity(writer, lead, account_id, contact_id, opportunity_name)
        converted["ConvertedOpportunityId"] = answer["opportunityId"] = opportunity_id
    writer._store(OBJECTS["Lead"], {**lead, **converted}, options, creating=False)
    return answer


def _opportunity(writer: Writer, lead: Row, account_id: str, contact_id: str, name: str) -> str:
    """The converted Lead's Opportunity at the first stage, with the Contact as its primary role."""
    options = WriteOptions(auto_assign="FALSE", actor=lead["OwnerId"])
    close = (datetime.now(UTC) + timedelta(days=CLOSE_IN_DAYS)).date().isoformat()
    opportunity = {"Name": name, "StageName": FIRST_STAGE, "CloseDate": close,
                   "AccountId": account_id, "OwnerId": lead["OwnerId"]}  # fmt: skip
    opportunity_id = writer.create(OBJECTS["Opportunity"], opportunity, options)
    role = {"OpportunityId": opportunity_id, "ContactId": contact_id, "IsPrimary": True}
    writer.create(OBJECTS["OpportunityContactRole"], role, options)
    return opportunity_id
