"""The HubSpot fake's portal definition: object types, default properties, pipelines, association types.

Property definitions use the wire shape of ``GET /crm/v3/properties/{objectType}``. The demo portal's
custom properties (``revloop_*``) are those the shipped mappings use.
"""

from __future__ import annotations

from typing import Any

OBJECT_TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "products": "0-7",
    "line_items": "0-8",
}
"""Object type name → HubSpot object type id; paths accept either."""

SINGULAR = {"contacts": "CONTACT", "companies": "COMPANY", "deals": "DEAL", "products": "PRODUCT"}

MODIFIED_PROPERTY = {name: "hs_lastmodifieddate" for name in OBJECT_TYPE_IDS} | {
    "contacts": "lastmodifieddate"
}
"""Which property holds the last-modified date: contacts differ from every other object."""

DEFAULT_UNIQUE = {"contacts": ("email",)}
"""Properties that identify a record although the portal does not declare ``hasUniqueValue``."""

SEARCH_DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "pipeline",
    ),
    "line_items": ("createdate", "hs_lastmodifieddate", "hs_object_id", "name", "price", "quantity"),
    "products": ("createdate", "description", "hs_lastmodifieddate", "hs_object_id", "name", "price"),
}

DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
)

ASSOCIATION_TYPES = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("line_items", "deals"): 20,
    ("deals", "line_items"): 19,
}
"""Unlabelled default association type ids (HUBSPOT_DEFINED) per direction."""

INVERSE_TYPE = {1: 2, 2: 1, 5: 6, 6: 5} | {
    ASSOCIATION_TYPES[pair]: ASSOCIATION_TYPES[(pair[1], pair[0])] for pair in ASSOCIATION_TYPES
}
"""Association type id → the type id of the same association seen from the other side."""

_EPOCH_ISO = "2019-08-06T13:30:00.000Z"
READ_ONLY = frozenset({"read_only"})
UNIQUE = frozenset({"unique"})
CUSTOM = frozenset({"custom"})
CUSTOM_UNIQUE = frozenset({"custom", "unique"})


def _option(value: str, label: str, order: int) -> dict[str, Any]:
    return {"label": label, "value": value, "displayOrder": order, "hidden": False}


def options(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [_option(value, label, order) for order, (value, label) in enumerate(pairs)]


_FIELD_TYPES = {
    "string": "text",
    "email": "text",
    "number": "number",
    "datetime": "date",
    "date": "date",
    "enumeration": "select",
    "bool": "booleancheckbox",
}


def _titled(*values: str) -> list[dict[str, Any]]:
    """Options whose labels are their values in title case (NEW_LEAD → New Lead)."""
    return options(*((value, value.replace("_", " ").title()) for value in values))


LIFECYCLE_STAGES = options(
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
)
LEAD_STATUSES = _titled(
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
ANALYTICS_SOURCES = _titled(
    "ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS",
    "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL",
)  # fmt: skip
SYNC_STATUSES = _titled("pending", "created", "linked", "converted", "error")
SALESFORCE_OPPORTUNITY_STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
)  # fmt: skip
"""The demo portal's copy of the Salesforce org's opportunity stages (a dropdown property)."""


def prop(
    name: str,
    label: str,
    kind: str = "string",
    *,
    group: str = "contactinformation",
    choices: list[dict[str, Any]] | None = None,
    flags: frozenset[str] = frozenset(),
    hint: str | None = None,
) -> dict[str, Any]:
    """One property definition. ``kind`` is string, number, datetime, date, enumeration, bool or email;
    ``flags`` may hold "read_only", "unique" and "custom" (a portal property, not HubSpot's)."""
    read_only, custom = "read_only" in flags, "custom" in flags
    definition: dict[str, Any] = {
        "name": name,
        "label": label,
        "type": "string" if kind == "email" else kind,
        "fieldType": _FIELD_TYPES[kind],
        "description": "",
        "groupName": group,
        "options": choices or [],
        "displayOrder": -1,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": "unique" in flags,
        "hidden": False,
        "formField": not read_only,
        "archived": False,
        "createdAt": _EPOCH_ISO,
        "updatedAt": _EPOCH_ISO,
        "modificationMetadata": {
            "archivable": custom,
            "readOnlyDefinition": not custom,
            "readOnlyValue": read_only,
        },
    }
    extras = {"hubspotDefined": True} if not custom else {}
    if kind == "email":
        extras["textDisplayHint"] = "email"
    if kind == "number":
        extras["numberDisplayHint"] = hint or "unformatted"
    return definition | extras


def _system_properties(modified: str) -> list[dict[str, Any]]:
    return [
        prop("hs_object_id", "Record ID", "number", group="system", flags=READ_ONLY),
        prop("createdate", "Create Date", "datetime", group="system"),
        prop(modified, "Last Modified Date", "datetime", group="system", flags=READ_ONLY),
    ]


def _contact_properties() -> list[dict[str, Any]]:
    analytics, conversion = "analyticsinformation", "conversioninformation"
    return [
        *_system_properties("lastmodifieddate"),
        prop("email", "Email", "email"),
        prop("firstname", "First Name"),
        prop("lastname", "Last Name"),
        prop("company", "Company Name"),
        prop("phone", "Phone Number"),
        prop("jobtitle", "Job Title"),
        prop("website", "Website URL"),
        prop("city", "City"),
        prop("country", "Country/Region"),
        prop("lifecyclestage", "Lifecycle Stage", "enumeration", choices=LIFECYCLE_STAGES),
        prop("hs_lead_status", "Lead Status", "enumeration", choices=LEAD_STATUSES, group="sales_properties"),
        owner_property(),
        prop("hubspotscore", "HubSpot Score", "number", group=analytics),
        prop(
            "hs_analytics_source",
            "Original Source",
            "enumeration",
            choices=ANALYTICS_SOURCES,
            group=analytics,
        ),
        prop("hs_analytics_source_data_1", "Original Source Drill-Down 1", group=analytics),
        prop("hs_analytics_num_page_views", "Number of Pageviews", "number", group=analytics),
        prop("num_conversion_events", "Number of Form Submissions", "number", group=conversion),
        prop("recent_conversion_event_name", "Recent Conversion", group=conversion),
        prop("first_conversion_event_name", "First Conversion", group=conversion),
        *_revloop_contact_properties(),
    ]


def _revloop_contact_properties() -> list[dict[str, Any]]:
    """The demo portal's own contact properties, written and read by the shipped mappings."""
    return [
        prop("revloop_salesforce_id", "Salesforce ID", group="revloop", flags=CUSTOM),
        prop(
            "revloop_sync_status",
            "Sync Status",
            "enumeration",
            choices=SYNC_STATUSES,
            group="revloop",
            flags=CUSTOM,
        ),
        prop("revloop_pricing_page_views", "Pricing Page Views", "number", group="revloop", flags=CUSTOM),
        prop("revloop_case_study_downloads", "Case Study Downloads", "number", group="revloop", flags=CUSTOM),
        prop("revloop_contact_form_visits", "Contact Form Visits", "number", group="revloop", flags=CUSTOM),
        prop("revloop_last_synced_at", "Last Synced At", "datetime", group="revloop", flags=CUSTOM),
        *_revloop_feedback_properties(),
    ]


def _revloop_feedback_properties() -> list[dict[str, Any]]:
    """What the shipped feedback mapping (Salesforce → HubSpot) writes besides HubSpot's own properties."""
    stages = options(*((stage, stage) for stage in SALESFORCE_OPPORTUNITY_STAGES))
    return [
        prop("revloop_converted", "Converted in Salesforce", "bool", group="revloop", flags=CUSTOM),
        prop("revloop_converted_contact_id", "Salesforce Contact ID", group="revloop", flags=CUSTOM),
        prop("revloop_converted_account_id", "Salesforce Account ID", group="revloop", flags=CUSTOM),
        prop("revloop_converted_opportunity_id", "Salesforce Opportunity ID", group="revloop", flags=CUSTOM),
        prop("revloop_opportunity_stage", "Opportunity Stage", "enumeration", choices=stages, group="revloop",
             flags=CUSTOM),
    ]  # fmt: skip


def owner_property() -> dict[str, Any]:
    """``hubspot_owner_id``: its options are the portal's owners, served by the owners API
    (``externalOptions``), so the property itself lists none."""
    definition = prop("hubspot_owner_id", "Contact owner", "enumeration", group="sales_properties")
    return definition | {"externalOptions": True, "referencedObjectType": "OWNER"}


def _company_properties() -> list[dict[str, Any]]:
    group = "companyinformation"
    return [
        *_system_properties("hs_lastmodifieddate"),
        prop("name", "Company Name", group=group),
        prop("domain", "Company Domain Name", group=group),
        prop("industry", "Industry", group=group),
        prop("phone", "Phone Number", group=group),
        prop("city", "City", group=group),
        prop("country", "Country/Region", group=group),
        prop("numberofemployees", "Number of Employees", "number", group=group),
        prop("lifecyclestage", "Lifecycle Stage", group=group),
        prop(
            "revloop_salesforce_account_id",
            "Salesforce Account ID",
            group="revloop",
            flags=CUSTOM_UNIQUE,
        ),
    ]


CURRENCIES = options(("JPY", "Japanese Yen"), ("USD", "US Dollar"), ("EUR", "Euro"), ("GBP", "British Pound"))
"""The portal's currencies (multi-currency: JPY is the company currency)."""


def _deal_properties() -> list[dict[str, Any]]:
    group = "dealinformation"
    stages = options(*((stage, label) for stage, label, _, _ in DEAL_STAGES))
    return [
        *_system_properties("hs_lastmodifieddate"),
        prop("dealname", "Deal Name", group=group),
        prop("amount", "Amount", "number", group=group, hint="currency"),
        prop("closedate", "Close Date", "datetime", group=group),
        prop("pipeline", "Pipeline", "enumeration", choices=options(("default", "Sales")), group=group),
        prop("dealstage", "Deal Stage", "enumeration", choices=stages, group=group),
        prop("deal_currency_code", "Currency", "enumeration", choices=CURRENCIES, group=group),
        prop("revloop_salesforce_opportunity_id", "Salesforce Opportunity ID", group="revloop",
             flags=CUSTOM_UNIQUE),
    ]  # fmt: skip


def _line_item_properties() -> list[dict[str, Any]]:
    group = "lineiteminformation"
    return [
        *_system_properties("hs_lastmodifieddate"),
        prop("name", "Name", group=group),
        prop("quantity", "Quantity", "number", group=group),
        prop("price", "Unit Price", "number", group=group, hint="currency"),
        prop("amount", "Net Price", "number", group=group, hint="currency"),
        prop("hs_product_id", "Product ID", "number", group=group),
        prop("hs_line_item_currency_code", "Currency", "enumeration", choices=CURRENCIES, group=group),
        prop("revloop_salesforce_line_id", "Salesforce Line ID", group="revloop", flags=CUSTOM_UNIQUE),
    ]


def _product_properties() -> list[dict[str, Any]]:
    group = "productinformation"
    return [
        *_system_properties("hs_lastmodifieddate"),
        prop("name", "Name", group=group),
        prop("description", "Description", group=group),
        prop("price", "Unit Price", "number", group=group, hint="currency"),
        prop("hs_sku", "SKU", group=group, flags=UNIQUE),
    ]


def default_properties() -> dict[str, list[dict[str, Any]]]:
    """A fresh copy of every object type's property definitions."""
    return {
        "contacts": _contact_properties(),
        "companies": _company_properties(),
        "deals": _deal_properties(),
        "line_items": _line_item_properties(),
        "products": _product_properties(),
    }


def deal_pipelines() -> list[dict[str, Any]]:
    """``GET /crm/v3/pipelines/deals``: the default sales pipeline and its stages."""
    stages = [
        {
            "id": stage,
            "label": label,
            "displayOrder": order,
            "metadata": {"isClosed": closed, "probability": probability},
            "createdAt": _EPOCH_ISO,
            "updatedAt": _EPOCH_ISO,
            "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
        }
        for order, (stage, label, probability, closed) in enumerate(DEAL_STAGES)
    ]
    return [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": stages,
            "createdAt": _EPOCH_ISO,
            "updatedAt": _EPOCH_ISO,
            "archived": False,
        }
    ]
