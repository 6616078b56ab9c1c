"""Won business to seed into the Salesforce sandbox: opportunities with their Account, products (line
items) and people (contact roles), for the won-deals flow, the demo, tests and benchmarks.

:func:`salesforce_sales` turns :class:`Sale` values into the Salesforce fake's seed shape with fixed,
well-formed ids (so line items and roles can point at their opportunity), one Account per name, one
Contact per email, one product per code, and each opportunity's Amount the sum of its lines, as
Salesforce rolls it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCTS = {
    "RL-BASIC": ("revloop Basic", 50_000.0),
    "RL-PRO": ("revloop Pro", 150_000.0),
    "RL-OPT-JA": ("Option: Japanese data hygiene", 30_000.0),
}
"""Product code → (name, list price): the catalogue the demo sells (the CRM sandbox knows the same SKUs)."""

_SF_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(prefix: str, number: int) -> str:
    """A well-formed 18-character Salesforce id (15 characters plus the case-safe suffix)."""
    base = f"{prefix}5g0000{number:06d}"[:15]
    suffix = ""
    for chunk in (base[0:5], base[5:10], base[10:15]):
        bits = sum(1 << i for i, char in enumerate(chunk) if char.isupper())
        suffix += _SF_ID_CHARS[bits]
    return base + suffix


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    role: str = "Decision Maker"


@dataclass(frozen=True)
class Sale:
    """One opportunity: its Account, stage, currency, products sold (code, quantity) and people."""

    name: str
    account: str
    website: str | None = None
    stage: str = "Closed Won"
    currency: str = "JPY"
    lines: tuple[tuple[str, int], ...] = (("RL-PRO", 1),)
    people: tuple[Person, ...] = ()
    close_date: str = "2026-11-30"


DEMO_SALES = (
    # The CRM knows this customer already (株式会社北斗ソリューション, same domain): the deal joins it.
    Sale(
        "北斗ソリューション - revloop Pro",
        "北斗ソリューション(株)",
        "https://www.customer2.example.jp/",
        lines=(("RL-PRO", 2), ("RL-OPT-JA", 1)),
        people=(Person("誠", "北村", "makoto.kitamura@hokuto-sol.example.jp"),),
    ),
    # A new customer in dollars: the deal keeps its currency; the company is created.
    Sale(
        "Wayne Enterprises - revloop Basic",
        "Wayne Enterprises",
        "https://wayne-enterprises.example.com",
        currency="USD",
        lines=(("RL-BASIC", 5),),
        people=(Person("Lucius", "Fox", "lucius.fox@wayne-enterprises.example.com", "Economic Buyer"),),
    ),
    # Still negotiating: it stays in Salesforce until it is won.
    Sale(
        "Wayne Enterprises - Japanese data hygiene",
        "Wayne Enterprises",
        stage="Negotiation/Review",
        lines=(("RL-OPT-JA", 1),),
    ),
)
"""The demo's won business (``revloop demo``): its products are the CRM sandbox's SKUs."""


OBJECTS = ("Account", "Product2", "Contact", "Opportunity", "OpportunityLineItem", "OpportunityContactRole")
_PREFIXES = dict(zip(OBJECTS, ("001", "01t", "003", "006", "00k", "00K"), strict=True))


class _Org:
    """Seed rows by object, each record once per natural key, with ids numbered from ``first_id``."""

    def __init__(self, first_id: int, modified: str | None) -> None:
        self.first_id = first_id
        self.modified = datetime.fromisoformat(modified) if modified else None
        self.offset_s = 0  # the sale being added was modified this long after ``modified``
        self.data: dict[str, list[dict[str, Any]]] = {name: [] for name in OBJECTS}
        self.ids: dict[tuple[str, str], str] = {}

    def add(self, obj: str, key: str, fields: dict[str, Any]) -> str:
        if (obj, key) not in self.ids:
            self.ids[(obj, key)] = salesforce_id(_PREFIXES[obj], self.first_id + len(self.data[obj]))
            self.data[obj].append({"Id": self.ids[(obj, key)], **fields, **self._stamp()})
        return self.ids[(obj, key)]

    def _stamp(self) -> dict[str, str]:
        if self.modified is None:
            return {}
        moment = (self.modified + timedelta(seconds=self.offset_s)).astimezone(UTC)
        return {"SystemModstamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")}


def salesforce_sales(
    sales: Iterable[Sale],
    *,
    first_id: int = 1,
    modified: str | None = None,
    spread_s: int = 0,
    products: Mapping[str, tuple[str, float]] = PRODUCTS,
) -> dict[str, list[dict[str, Any]]]:
    """The Salesforce fake's seed for ``sales`` (ids numbered from ``first_id``). ``modified`` sets the
    SystemModstamp of the first sale's records, e.g. weeks ago, so a read has no overlap to re-read; each
    later sale was modified ``spread_s`` seconds after the one before, as sales close one by one."""
    org = _Org(first_id, modified)
    for code, (name, _) in products.items():
        org.add("Product2", code, {"Name": name, "ProductCode": code})
    for index, sale in enumerate(sales):
        org.offset_s = index * spread_s
        _add_sale(org, index, sale, products)
    return org.data


def _add_sale(org: _Org, index: int, sale: Sale, products: Mapping[str, tuple[str, float]]) -> None:
    account = org.add("Account", sale.account, {"Name": sale.account, "Website": sale.website})
    opportunity = org.add("Opportunity", str(index), {
        "Name": sale.name, "StageName": sale.stage, "CloseDate": sale.close_date, "AccountId": account,
        "CurrencyIsoCode": sale.currency, "Amount": sum(products[c][1] * n for c, n in sale.lines),
    })  # fmt: skip
    for number, (code, quantity) in enumerate(sale.lines):
        price = products[code][1]
        org.add("OpportunityLineItem", f"{index}:{number}", {
            "OpportunityId": opportunity, "Product2Id": org.ids[("Product2", code)], "Quantity": quantity,
            "UnitPrice": price, "TotalPrice": price * quantity,
        })  # fmt: skip
    for person in sale.people:
        contact = org.add("Contact", person.email.lower(), {
            "FirstName": person.first, "LastName": person.last, "Email": person.email, "AccountId": account,
        })  # fmt: skip
        org.add("OpportunityContactRole", f"{index}:{contact}", {
            "OpportunityId": opportunity, "ContactId": contact, "Role": person.role, "IsPrimary": True,
        })  # fmt: skip
