"""The sObjects the Salesforce fake knows: field metadata, key prefixes and the describe answer.

Field flags follow the describe vocabulary: ``nillable`` and ``defaulted`` (defaultedOnCreate) decide what is
required on create, exactly as a client computes it (``createable and not nillable and not
defaultedOnCreate``). The data tables live in :mod:`connector.sandbox.salesforce.objects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "combobox"})
NUMBER_TYPES = frozenset({"double", "currency", "percent", "int"})
ID_TYPES = frozenset({"id", "reference"})

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "datetime": "xsd:dateTime",
    "date": "xsd:date",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
}


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of one sObject, with the flags a describe call reports."""

    name: str
    label: str
    type: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    default: Any = None
    """The value set on create when the field is absent; a non-None value makes it defaultedOnCreate."""
    defaulted: bool = False
    """defaultedOnCreate for fields the server fills without a fixed value (OwnerId, timestamps)."""
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    external_id: bool = False
    unique: bool = False
    calculated: bool = False

    @property
    def defaulted_on_create(self) -> bool:
        return self.defaulted or self.default is not None

    @property
    def required(self) -> bool:
        """Required on create: what a client must send (booleans always have a value)."""
        return (
            self.createable and not self.nillable and not self.defaulted_on_create and self.type != "boolean"
        )

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "length": self.length,
            "byteLength": self.length * 3,
            "nillable": self.nillable,
            "createable": self.createable,
            "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted_on_create,
            "defaultValue": self.default if self.type != "picklist" else None,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.type == "id" or self.external_id or self.name == "Email",
            "custom": self.custom,
            "calculated": self.calculated,
            "filterable": self.type != "textarea" or self.length <= 255,
            "sortable": self.type != "textarea" or self.length <= 255,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
            "restrictedPicklist": self.restricted,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.name[:-2]
            if self.type == "reference" and self.name.endswith("Id")
            else None,
            "precision": 18 if self.type in NUMBER_TYPES else 0,
            "scale": 2 if self.type in ("currency", "double") else 0,
            "digits": 9 if self.type == "int" else 0,
        }


@dataclass(frozen=True)
class ObjectDef:
    """One sObject: its name, labels, 3-character key prefix and fields by name."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name)

    def external_ids(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.external_id)

    def required_fields(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.required)

    def describe(self, version: str) -> dict[str, Any]:
        base = f"/services/data/{version}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": False,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "searchable": True,
            "layoutable": True,
            "fields": [f.describe() for f in self.fields.values()],
            "recordTypeInfos": [],
            "childRelationships": [],
            "urls": {
                "sobject": base,
                "describe": f"{base}/describe",
                "rowTemplate": f"{base}/{{ID}}",
            },
        }


def text(name: str, label: str, length: int = 255, **flags: Any) -> FieldDef:
    return FieldDef(name, label, "string", length, **flags)


def picklist(name: str, label: str, values: tuple[str, ...], **flags: Any) -> FieldDef:
    return FieldDef(name, label, "picklist", 255, picklist=values, **flags)


def reference(name: str, label: str, *targets: str, **flags: Any) -> FieldDef:
    return FieldDef(name, label, "reference", 18, reference_to=targets, **flags)


def read_only(name: str, label: str, type_: str, length: int = 0, **flags: Any) -> FieldDef:
    return FieldDef(name, label, type_, length, createable=False, updateable=False, **flags)


def system_fields(label: str) -> list[FieldDef]:
    """Id and the audit fields every sObject has; the server sets them all."""
    return [
        read_only("Id", f"{label} ID", "id", 18, nillable=False, defaulted=True),
        read_only("IsDeleted", "Deleted", "boolean", nillable=False, defaulted=True),
        read_only("CreatedDate", "Created Date", "datetime", nillable=False, defaulted=True),
        read_only(
            "CreatedById",
            "Created By ID",
            "reference",
            18,
            nillable=False,
            defaulted=True,
            reference_to=("User",),
        ),
        read_only("LastModifiedDate", "Last Modified Date", "datetime", nillable=False, defaulted=True),
        read_only(
            "LastModifiedById",
            "Last Modified By ID",
            "reference",
            18,
            nillable=False,
            defaulted=True,
            reference_to=("User",),
        ),
        read_only("SystemModstamp", "System Modstamp", "datetime", nillable=False, defaulted=True),
    ]


CURRENCIES = ("JPY", "USD", "EUR", "GBP")
"""The fake org is multi-currency, corporate currency JPY: every record of a currency-bearing object has
a CurrencyIsoCode, defaulting to the corporate currency."""


def currency_field(*, derived: bool = False) -> FieldDef:
    """CurrencyIsoCode; ``derived``: read-only, the parent's (a line item has its opportunity's)."""
    return FieldDef(
        "CurrencyIsoCode", "Currency ISO Code", "picklist", 3, picklist=CURRENCIES, restricted=True,
        nillable=False, default=CURRENCIES[0], createable=not derived, updateable=not derived,
    )  # fmt: skip


def owner_field() -> FieldDef:
    return reference("OwnerId", "Owner ID", "User", nillable=False, defaulted=True)


def make_object(name: str, label: str, plural: str, prefix: str, fields: list[FieldDef]) -> ObjectDef:
    return ObjectDef(name, label, plural, prefix, {f.name: f for f in system_fields(label) + fields})
