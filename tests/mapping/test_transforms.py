"""Field transforms: each registry entry's behaviour, argument checking and purity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.mapping.transforms import (
    REGISTRY,
    Transform,
    TransformSpecError,
    TransformValueError,
    compile_step,
)


def apply(step, value):
    return compile_step(step)(value)


@pytest.mark.parametrize(
    ("step", "value", "expected"),
    [
        ("trim", "  山田\u3000", "山田"),
        ("lower", "Taro@Example.COM", "taro@example.com"),
        ("upper", "jp", "JP"),
        ("nfkc", "ＡＢＣ１２３", "ABC123"),
        ("nfkc", "ﾔﾏﾀﾞ", "ヤマダ"),
        ("nfkc", "㈱", "(株)"),
        ("collapse_spaces", " Sales \t\n  Manager\u3000 Tokyo ", "Sales Manager Tokyo"),
        ({"phone_e164": {"region": "JP"}}, "03-1234-5678", "+81312345678"),
        ({"phone_e164": {"region": "JP"}}, "０３（１２３４）５６７８", "+81312345678"),
        ({"phone_e164": {"region": "US"}}, "+81 3 1234 5678", "+81312345678"),
        ({"date": {"from": "%Y/%m/%d", "to": "%Y-%m-%d"}}, "2024/05/01", "2024-05-01"),
        ("to_date", "1714521600000", "2024-05-01"),
        ("to_date", 1714521600000, "2024-05-01"),
        ("to_date", "2024-05-01T23:30:00-02:00", "2024-05-02"),
        ("to_date", "2024-05-01", "2024-05-01"),
        ("to_datetime", "1714521600123", "2024-05-01T00:00:00.123Z"),
        ("to_datetime", "2014-09-17T22:31:49+0000", "2014-09-17T22:31:49.000Z"),
        ("to_datetime", "2024-05-01T09:00:00+09:00", "2024-05-01T00:00:00.000Z"),
        ("to_datetime", "2024-05-01T09:00:00", "2024-05-01T09:00:00.000Z"),
        ({"truncate": 3}, "abcdef", "abc"),
        ({"default_if_blank": "(unknown)"}, "  ", "(unknown)"),
        ({"default_if_blank": "(unknown)"}, None, "(unknown)"),
        ({"default_if_blank": "(unknown)"}, "x", "x"),
    ],
)
def test_transform_results(step, value, expected):
    assert apply(step, value) == expected


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - {"default_if_blank"}))
def test_blank_passes_through_every_transform(name):
    step = {
        "phone_e164": {"phone_e164": {"region": "JP"}},
        "date": {"date": {"from": "%Y", "to": "%Y"}},
        "truncate": {"truncate": 2},
    }.get(name, name)
    assert apply(step, None) is None
    assert apply(step, "") == ""


@pytest.mark.parametrize(
    ("step", "value", "message"),
    [
        ({"phone_e164": {"region": "JP"}}, "12", "not a valid phone number"),
        ({"phone_e164": {"region": "JP"}}, "call me", "not a phone number"),
        ({"date": {"from": "%Y/%m/%d", "to": "%Y-%m-%d"}}, "05/01/2024", "does not match"),
        ("to_date", "yesterday", "not an ISO date"),
        ("to_datetime", "99999999999999999999999", "out of range"),
        ("to_date", True, "not a date"),
    ],
)
def test_refused_values_raise_typed_errors(step, value, message):
    with pytest.raises(TransformValueError, match=message):
        apply(step, value)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("phone164", "unknown transform 'phone164'; known: collapse_spaces, date,"),
        ({"trim": {}}, "trim takes no arguments"),
        ("phone_e164", "needs exactly { region"),
        ({"phone_e164": {"region": "XX"}}, "unknown region 'XX'"),
        ({"phone_e164": {"region": "JP", "x": 1}}, "needs exactly"),
        ({"truncate": 0}, "positive whole number"),
        ({"truncate": True}, "positive whole number"),
        ({"truncate": "80"}, "positive whole number"),
        ({"date": {"from": "%Y"}}, "needs exactly"),
        ({"date": {"from": "YYYY", "to": "%Y"}}, "strftime layouts"),
        ({"default_if_blank": [1]}, "needs a string, number or boolean"),
        (42, "expected a transform name"),
        ({"trim": None, "lower": None}, "expected a transform name"),
    ],
)
def test_bad_transform_entries_are_refused_with_a_reason(step, message):
    with pytest.raises(TransformSpecError) as caught:
        compile_step(step)
    assert message in str(caught.value)


def test_every_transform_documents_its_toml_usage():
    for name, entry in REGISTRY.items():
        doc = entry.function.__doc__ or ""
        assert "TOML:" in doc, name
        assert name in doc.split("TOML:")[1], name


def test_compiled_transforms_are_values():
    assert compile_step({"truncate": 5}) == Transform("truncate", {"length": 5})


@given(st.text())
def test_text_transforms_are_idempotent(text):
    for name in ("trim", "lower", "upper", "nfkc", "collapse_spaces"):
        once = apply(name, text)
        assert apply(name, once) == once


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.Acme.co.jp/about?x=1", "acme.co.jp"),
        ("ACME.co.jp", "acme.co.jp"),
        ("http://user@shop.acme.com:8080/", "shop.acme.com"),
        ("ｗｗｗ．ｅｘａｍｐｌｅ．ｊｐ", "example.jp"),  # full-width, typed into a CRM field
        ("acme.com.", "acme.com"),
        ("www.www.acme.com", "acme.com"),
        ("www.com", "www.com"),
    ],
)
def test_url_domain_keeps_the_host_name(value, expected):
    assert apply("url_domain", value) == expected


@pytest.mark.parametrize("value", ["not a domain", "localhost", "https://", "a..b"])
def test_url_domain_refuses_text_without_a_host_name(value):
    with pytest.raises(TransformValueError, match="not a web address"):
        apply("url_domain", value)


@given(st.text())
def test_url_domain_is_idempotent(text):
    try:
        once = apply("url_domain", text)
    except TransformValueError:
        return
    assert apply("url_domain", once) == once
