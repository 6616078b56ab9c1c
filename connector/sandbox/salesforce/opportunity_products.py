"""Opportunity products in the Salesforce fake: a line item's prices and currency, and the Amount roll-up.

An opportunity with products takes its Amount from them: every insert, update or delete of a line item
recomputes the parent's Amount (the sum of the lines' TotalPrice) and saves the parent, which moves its
SystemModstamp as Salesforce's roll-up does. A line item is in its opportunity's currency.
"""

from __future__ import annotations

from connector.sandbox.salesforce.store import Org, Row
from connector.sandbox.salesforce.validate import SaveError

LINE_ITEM = "OpportunityLineItem"


def line_item_prices(row: Row, existing: Row | None) -> None:
    """A line item needs a product or price-book entry, and a UnitPrice or a TotalPrice (not both)."""
    if existing is None and not (row.get("PricebookEntryId") or row.get("Product2Id")):
        raise SaveError(
            "REQUIRED_FIELD_MISSING", "Required fields are missing: [PricebookEntryId]", ("PricebookEntryId",)
        )
    unit, total, quantity = row.get("UnitPrice"), row.get("TotalPrice"), row.get("Quantity") or 0.0
    if existing is None and unit is not None and total is not None:
        raise SaveError(
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: TotalPrice (you cannot specify both UnitPrice and TotalPrice)",
            ("TotalPrice",),
        )
    if unit is None and total is None:
        raise SaveError(
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: unknown (must specify either UnitPrice or TotalPrice)",
        )
    if unit is not None:
        row["TotalPrice"] = round(unit * quantity, 2)
    elif quantity:
        row["UnitPrice"] = round(total / quantity, 2)


def line_item_currency(row: Row, org: Org) -> None:
    parent = org.get("Opportunity", row.get("OpportunityId") or "")
    if parent is not None:
        row["CurrencyIsoCode"] = parent.get("CurrencyIsoCode")


def roll_up_amount(org: Org, opportunity_id: str, stamp: str, actor: str) -> None:
    """Recompute the opportunity's Amount from its line items and save it (its SystemModstamp moves)."""
    parent = org.get("Opportunity", opportunity_id)
    if parent is None:
        return
    lines = [org.get(LINE_ITEM, line_id) for line_id in org.find(LINE_ITEM, "OpportunityId", opportunity_id)]
    amount = round(sum(float(line.get("TotalPrice") or 0.0) for line in lines if line is not None), 2)
    saved = {"Amount": amount, "SystemModstamp": stamp, "LastModifiedDate": stamp, "LastModifiedById": actor}
    org.put("Opportunity", {**parent, **saved})
