"""Masking personal data in stored error payloads and messages: by field name and by value shape,
keeping what lets an admin recognise the record."""

from __future__ import annotations

import pytest

from connector.state.personal_data import mask_email, mask_payload, mask_phone, mask_text

PAYLOAD = {
    "Email": "taro.yamada@example.co.jp",
    "FirstName": "Taro",
    "LastName": "Yamada",
    "Phone": "+81 90-1234-5678",
    "MobilePhone__c": "090 1111 2242",
    "Description": "Called on Monday about the renewal",
    "Street": "1-2-3 Marunouchi",
    "Company": "Acme KK",
    "Title": "CTO",
    "Revloop_MA_Id__c": "123456789",
    "NumberOfEmployees": 250,
    "HasOptedOutOfEmail": True,
    "Notes": None,
    "Custom__c": "reach me at other.person@example.org",
    "Fallback__c": "+1 (415) 555-0100",
}


def test_personal_fields_are_masked_by_name_and_shape() -> None:
    masked = mask_payload(PAYLOAD)

    assert masked == {
        "Email": "t***@e***.jp",
        "FirstName": "T***",
        "LastName": "Y***",
        "Phone": "***78",
        "MobilePhone__c": "***42",
        "Description": "***",
        "Street": "***",
        "Company": "Acme KK",
        "Title": "CTO",
        "Revloop_MA_Id__c": "123456789",  # an id, not a phone: plain digits
        "NumberOfEmployees": 250,
        "HasOptedOutOfEmail": True,
        "Notes": None,
        "Custom__c": "reach me at o***@e***.org",
        "Fallback__c": "***00",
    }


def test_masking_is_idempotent_and_nested() -> None:
    once = mask_payload({"contact": PAYLOAD, "history": [{"email": "a.b@example.com"}]})
    assert mask_payload(once) == once
    assert once["history"] == [{"email": "a***@e***.com"}]


def test_a_message_loses_the_values_it_quotes() -> None:
    message = "INVALID_EMAIL_ADDRESS: Email: invalid email address: taro,yamada@example.co.jp (Yamada)"
    payload = {"Email": "taro,yamada@example.co.jp", "LastName": "Yamada"}

    assert (
        mask_text(message, payload)
        == "INVALID_EMAIL_ADDRESS: Email: invalid email address: t***@e***.jp (Y***)"
    )
    assert mask_text("bounce from ops@example.com") == "bounce from o***@e***.com"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("a@b", "a***@b***"), ("x.y@sub.example.com", "x***@s***.com"), ("t***@e***.jp", "t***@e***.jp")],
)
def test_mask_email(value: str, masked: str) -> None:
    assert mask_email(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"), [("03-1234-5678", "***78"), ("電話番号なし", "***"), ("12", "***")]
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked
