"""The fields of the sObjects the Salesforce fake serves, with realistic labels, types and lengths."""

from __future__ import annotations

from connector.sandbox.salesforce.schema import (
    FieldDef,
    ObjectDef,
    currency_field,
    make_object,
    owner_field,
    picklist,
    read_only,
    reference,
    text,
)

LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
LEAD_SOURCES = (
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Advertisement",
    "Seminar - Internal",
    "Trade Show",
    "Email",
    "Other",
)
INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
    "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
    "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
    "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
    "Telecommunications", "Transportation", "Utilities", "Other",
)  # fmt: skip
OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
CLOSED_STAGES = {"Closed Won": True, "Closed Lost": False}
"""Closed stages and whether each one is won; IsClosed and IsWon are derived from the stage."""
ACCOUNT_TYPES = (
    "Prospect",
    "Customer",
    "Customer - Direct",
    "Customer - Channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Technology Partner",
    "Other",
)
CONTACT_ROLES = (
    "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator",
    "Executive Sponsor", "Influencer", "Technical Buyer", "Other",
)  # fmt: skip


def _person_fields() -> list[FieldDef]:
    return [
        text("FirstName", "First Name", 40),
        text("LastName", "Last Name", 80, nillable=False),
        read_only("Name", "Full Name", "string", 121),
        FieldDef("Email", "Email", "email", 80),
        FieldDef("Phone", "Phone", "phone", 40),
        text("Title", "Title", 128),
    ]


def _external_id(name: str, label: str) -> FieldDef:
    return text(name, label, 64, external_id=True, unique=True)


LEAD = make_object(
    "Lead",
    "Lead",
    "Leads",
    "00Q",
    [
        *_person_fields(),
        text("Company", "Company", 255, nillable=False),
        FieldDef("Website", "Website", "url", 255),
        picklist(
            "Status", "Status", LEAD_STATUSES, restricted=True, nillable=False, default=LEAD_STATUSES[0]
        ),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES, restricted=True),
        picklist("Rating", "Rating", ("Hot", "Warm", "Cold")),
        picklist("Industry", "Industry", INDUSTRIES),
        FieldDef("Description", "Description", "textarea", 32000),
        owner_field(),
        read_only("IsConverted", "Converted", "boolean", nillable=False, default=False),
        read_only("ConvertedContactId", "Converted Contact ID", "reference", 18, reference_to=("Contact",)),
        read_only("ConvertedAccountId", "Converted Account ID", "reference", 18, reference_to=("Account",)),
        read_only(
            "ConvertedOpportunityId",
            "Converted Opportunity ID",
            "reference",
            18,
            reference_to=("Opportunity",),
        ),
        read_only("ConvertedDate", "Converted Date", "date"),
        _external_id("Revloop_MA_Id__c", "Revloop MA Id"),
        text("Revloop_Source_Campaign__c", "Revloop Source Campaign", 255),
        text("Revloop_Qualification__c", "Revloop Qualification", 255),
    ],
)

CONTACT = make_object(
    "Contact",
    "Contact",
    "Contacts",
    "003",
    [
        *_person_fields(),
        reference("AccountId", "Account ID", "Account"),
        owner_field(),
        FieldDef("Description", "Contact Description", "textarea", 32000),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES, restricted=True),
        _external_id("Revloop_MA_Id__c", "Revloop MA Id"),
    ],
)

ACCOUNT = make_object(
    "Account",
    "Account",
    "Accounts",
    "001",
    [
        text("Name", "Account Name", 255, nillable=False),
        picklist("Type", "Account Type", ACCOUNT_TYPES),
        FieldDef("Website", "Website", "url", 255),
        FieldDef("Phone", "Account Phone", "phone", 40),
        picklist("Industry", "Industry", INDUSTRIES),
        FieldDef("Description", "Account Description", "textarea", 32000),
        owner_field(),
        _external_id("Revloop_CRM_Id__c", "Revloop CRM Id"),
    ],
)

OPPORTUNITY = make_object(
    "Opportunity",
    "Opportunity",
    "Opportunities",
    "006",
    [
        text("Name", "Name", 120, nillable=False),
        picklist("StageName", "Stage", OPPORTUNITY_STAGES, restricted=True, nillable=False),
        FieldDef("CloseDate", "Close Date", "date", nillable=False),
        FieldDef("Amount", "Amount", "currency"),
        currency_field(),
        reference("AccountId", "Account ID", "Account"),
        read_only("IsWon", "Won", "boolean", nillable=False, default=False),
        read_only("IsClosed", "Closed", "boolean", nillable=False, default=False),
        picklist("LeadSource", "Lead Source", LEAD_SOURCES, restricted=True),
        FieldDef("Description", "Description", "textarea", 32000),
        owner_field(),
        _external_id("Revloop_CRM_Id__c", "Revloop CRM Id"),
    ],
)

OPPORTUNITY_LINE_ITEM = make_object(
    "OpportunityLineItem",
    "Opportunity Product",
    "Opportunity Product",
    "00k",
    [
        reference("OpportunityId", "Opportunity ID", "Opportunity", nillable=False, updateable=False),
        reference("PricebookEntryId", "Price Book Entry ID", "PricebookEntry", updateable=False),
        reference("Product2Id", "Product ID", "Product2", updateable=False),
        read_only("Name", "Opportunity Product Name", "string", 376),
        FieldDef("Quantity", "Quantity", "double", nillable=False),
        FieldDef("UnitPrice", "Sales Price", "currency"),
        FieldDef("TotalPrice", "Total Price", "currency"),
        currency_field(derived=True),
        text("Description", "Line Description", 255),
    ],
)

PRODUCT = make_object(
    "Product2",
    "Product",
    "Products",
    "01t",
    [
        text("Name", "Product Name", 255, nillable=False),
        text("ProductCode", "Product Code", 255),
        FieldDef("Description", "Product Description", "textarea", 4000),
        FieldDef("IsActive", "Active", "boolean", nillable=False, default=True),
        picklist("Family", "Product Family", ("None",)),
        _external_id("Revloop_CRM_Id__c", "Revloop CRM Id"),
    ],
)

PRICEBOOK_ENTRY = make_object(
    "PricebookEntry",
    "Price Book Entry",
    "Price Book Entries",
    "01u",
    [
        reference("Pricebook2Id", "Price Book ID", "Pricebook2", nillable=False, updateable=False),
        reference("Product2Id", "Product ID", "Product2", nillable=False, updateable=False),
        read_only("Name", "Product Name", "string", 255),
        read_only("ProductCode", "Product Code", "string", 255),
        FieldDef("UnitPrice", "List Price", "currency", nillable=False),
        FieldDef("IsActive", "Active", "boolean", nillable=False, default=True),
        FieldDef("UseStandardPrice", "Use Standard Price", "boolean", nillable=False, default=False),
    ],
)

OPPORTUNITY_CONTACT_ROLE = make_object(
    "OpportunityContactRole",
    "Opportunity Contact Role",
    "Opportunity Contact Role",
    "00K",
    [
        reference("OpportunityId", "Opportunity ID", "Opportunity", nillable=False, updateable=False),
        reference("ContactId", "Contact ID", "Contact", nillable=False),
        picklist("Role", "Role", CONTACT_ROLES),
        FieldDef("IsPrimary", "Primary", "boolean", nillable=False, default=False),
    ],
)

TASK = make_object(
    "Task",
    "Task",
    "Tasks",
    "00T",
    [
        FieldDef("Subject", "Subject", "combobox", 255),
        reference("WhoId", "Name ID", "Lead", "Contact"),
        reference("WhatId", "Related To ID", "Account", "Opportunity"),
        owner_field(),
        FieldDef("Description", "Description", "textarea", 32000),
        picklist(
            "Status",
            "Status",
            ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"),
            nillable=False,
            default="Not Started",
        ),
        picklist("Priority", "Priority", ("High", "Normal", "Low"), nillable=False, default="Normal"),
        FieldDef("ActivityDate", "Due Date Only", "date"),
        _external_id("Revloop_Task_Key__c", "Revloop Task Key"),
    ],
)

USER = make_object(
    "User",
    "User",
    "Users",
    "005",
    [
        text("FirstName", "First Name", 40),
        text("LastName", "Last Name", 80, nillable=False),
        text("Name", "Full Name", 121),
        FieldDef("Email", "Email", "email", 128, nillable=False),
        text("Username", "Username", 80),
        FieldDef("IsActive", "Active", "boolean", nillable=False, default=True),
    ],
)

OBJECTS: dict[str, ObjectDef] = {
    obj.name: obj
    for obj in (
        LEAD,
        CONTACT,
        ACCOUNT,
        OPPORTUNITY,
        OPPORTUNITY_LINE_ITEM,
        PRODUCT,
        PRICEBOOK_ENTRY,
        OPPORTUNITY_CONTACT_ROLE,
        TASK,
        USER,
    )
}

KEY_PREFIXES = {obj.key_prefix: obj.name for obj in OBJECTS.values()} | {"01s": "Pricebook2"}
"""Key prefix → sObject name, for reference checks (Pricebook2 is known by prefix only)."""

INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    name: (*obj.external_ids(), *(field for field in ("Email", "OpportunityId") if field in obj.fields))
    for name, obj in OBJECTS.items()
}
"""Fields with a case-insensitive value index: external ids (upserts), Email (the duplicate rule) and
OpportunityId (an opportunity's products and contact roles)."""
