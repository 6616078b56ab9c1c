"""Pure parts of won deals: the mapping's sections and their checks, snapshots and their hashes."""

from __future__ import annotations

import pytest
from won_world import SHIPPED

from connector.errors import MappingError
from connector.flows.won_deals.mapping import WonDealsMappingSpec
from connector.flows.won_deals.snapshot import (
    build,
    children_hashes,
    fields_hash,
    flatten,
    is_won,
    snapshot_hash,
)
from connector.mapping import parse_mapping
from connector.records import Record


def load(*replacements: tuple[str, str]):
    text = SHIPPED.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return parse_mapping(text, source="won.toml", spec=WonDealsMappingSpec)


def problems(*replacements: tuple[str, str]) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load(*replacements)
    return caught.value.problems


def test_the_shipped_mapping_names_what_each_salesforce_object_is_read_with():
    mapping = load()
    assert {
        "Account.Name",
        "Account.Website",
        "AccountId",
        "Amount",
        "CurrencyIsoCode",
        "IsWon",
        "StageName",
    } <= set(mapping.opportunity_fields())
    assert {"OpportunityId", "Product2Id", "Product2.ProductCode", "Quantity", "UnitPrice"} <= set(
        mapping.line_fields()
    )
    assert {"OpportunityId", "ContactId", "Contact.Email", "Role"} <= set(mapping.people_fields())
    assert mapping.spec.stages.target("Closed Won").stage == "closedwon"
    assert mapping.spec.stages.target("Prospecting") is None


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (('on_reversal = "move_to_stage"', 'on_reversal = "later"'), "won.on_reversal"),
        (
            ('reversal_stage = "closedlost"', "# no stage"),
            'on_reversal = "move_to_stage" needs reversal_stage',
        ),
        (('upsert_key = "revloop_salesforce_account_id"', "# no key"), "company.upsert_key: required"),
        (
            (
                '[line_items.fields.quantity]\nfrom = "Quantity"',
                '[line_items.fields.quantity]\nfrom = "Quantity"\nconflict = "target_wins"',
            ),
            "line items follow their opportunity",
        ),
        (
            ("[fields.amount]", '[fields.dealstage]\nvalue = "x"\n\n[fields.amount]'),
            "fields.dealstage: set by [stages]",
        ),
        (('map = { "Closed Won" = "closedwon" }', "map = {}"), "stages.map"),
        (('product_field = "hs_product_id"', 'product_field = "quantity"'), "revloop sets the product"),
    ],
)
def test_mapping_mistakes_are_reported_with_their_key(replacement, message):
    assert any(message in problem for problem in problems(replacement)), problems(replacement)


def test_a_stage_may_name_another_pipeline():
    mapping = load(('map = { "Closed Won" = "closedwon" }',
                    'map = { "Closed Won" = { pipeline = "renewals", stage = "renewed" } }'))  # fmt: skip
    target = mapping.spec.stages.target("Closed Won")
    assert (target.pipeline, target.stage) == ("renewals", "renewed")


def test_flatten_names_related_records_by_path_whatever_the_read():
    rest = {"Id": "006", "Account": {"Name": "Acme", "Owner": {"Email": "o@x.jp"}}, "Partner__r": None}
    bulk = {"Id": "006", "Account.Name": "Acme", "Account.Owner.Email": "o@x.jp"}
    assert flatten(rest) == {
        "Id": "006",
        "Account.Name": "Acme",
        "Account.Owner.Email": "o@x.jp",
        "Partner__r": None,
    }
    assert {k: v for k, v in flatten(rest).items() if v is not None} == flatten(bulk)


def test_snapshots_hash_equal_whatever_the_order_children_come_in():
    opportunity = Record("006", {"Name": "Deal", "IsWon": True, "Account": {"Name": "Acme"}})
    lines = [Record(f"00k{n}", {"Quantity": n, "OpportunityId": "006"}) for n in (2, 1)]
    names = {"fields": ("Name", "IsWon", "Account.Name"), "line_fields": ("Quantity",), "role_fields": ()}
    one = build(opportunity, lines, [], **names)
    other = build(opportunity, list(reversed(lines)), [], **names)
    assert snapshot_hash(one) == snapshot_hash(other)
    assert one["fields"] == {"Name": "Deal", "IsWon": True, "Account.Name": "Acme"}
    assert children_hashes(one) == {
        "00k1": fields_hash({"Quantity": 1}),
        "00k2": fields_hash({"Quantity": 2}),
    }
    assert is_won(one, "IsWon") and is_won({"fields": {"IsWon": "true"}}, "IsWon")  # bulk reads answer text
    assert not is_won({"fields": {"IsWon": False}}, "IsWon")
