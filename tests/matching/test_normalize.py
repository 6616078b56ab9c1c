"""Normalisation for identity matching (名寄せ): examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.matching import (
    IdentityKeys,
    identity_keys,
    normalize_company,
    normalize_email,
    normalize_name,
    normalize_phone,
)


@pytest.mark.parametrize(
    "spelling",
    ["taro@example.com", " Taro@Example.COM ", "ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "taro＠example.com\u3000"],
)
def test_email_spellings(spelling):
    assert normalize_email(spelling) == "taro@example.com"


@pytest.mark.parametrize(
    "spelling",
    [
        "株式会社ABC", "ABC株式会社", "(株)ABC", "（株）ＡＢＣ", "ABC㈱", "ＡＢＣ 株式会社", "abc",
        "ABC Co., Ltd.", "ABC Co.,Ltd.", "ABC CO LTD", "ABC Inc.", "ABC, Inc", "ABC Corp.", "ABC Corporation",
        "ABC LLC", "ABC K.K.", "ABC GmbH", "ABC Limited", "ABC plc", "ABC Ltd", " A.B.C. ", "A B C",
        "ＡＢＣ\u3000Ｃｏｒｐ．",
    ],
)  # fmt: skip
def test_company_spellings(spelling):
    assert normalize_company(spelling) == "abc"


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("有限会社 山田商店", "山田商店"),
        ("山田商店㈲", "山田商店"),
        ("(有)山田商店", "山田商店"),
        ("合同会社テック", "テック"),
        ("一般社団法人 日本ＩＴ協会", "日本it協会"),
        ("ﾃｯｸ･ｿﾘｭｰｼｮﾝｽﾞ株式会社", "テックソリューションズ"),
        ("Coca-Cola Company", "cocacolacompany"),
        ("Incline Systems Corp", "inclinesystems"),
        ("example.co.jp", "examplecojp"),
        ("", ""),
        (None, ""),
    ],
)
def test_company_examples(spelling, expected):
    assert normalize_company(spelling) == expected


@pytest.mark.parametrize(
    ("first", "last"),
    [("太郎", "山田"), ("", "山田 太郎"), ("", "山田\u3000太郎"), (" 太郎 ", " 山田"), (None, "山田太郎")],
)
def test_name_spellings(first, last):
    assert normalize_name(first, last) == "山田太郎"


def test_half_width_katakana_and_case():
    assert normalize_name("ﾀﾛｳ", "ﾔﾏﾀﾞ") == normalize_name("タロウ", "ヤマダ") == "ヤマダタロウ"
    assert normalize_name("John", "SMITH") == normalize_name("john", "smith") == "smithjohn"


@pytest.mark.parametrize(
    "spelling",
    ["03-1234-5678", "+81312345678", "+81 3-1234-5678", "(03) 1234-5678", "０３－１２３４－５６７８"],
)
def test_phone_spellings(spelling):
    assert normalize_phone(spelling, "JP") == "+81312345678"


def test_phone_region_and_fallback():
    assert normalize_phone("(650) 253-0000", "US") == "+16502530000"
    assert normalize_phone("+1 650 253 0000", "JP") == "+16502530000"
    assert normalize_phone("12-34", "JP") == "1234"
    assert normalize_phone("内線 12", "JP") == "12"
    assert normalize_phone("  ", "JP") == ""


def test_identity_keys():
    keys = identity_keys(
        email=" Taro@Example.com",
        company="（株）ABC",
        first_name="太郎",
        last_name="山田",
        phone="03-1234-5678",
    )
    assert keys == IdentityKeys("taro@example.com", "abc|山田太郎", "+81312345678")
    assert keys.key("company_name") == "abc|山田太郎"
    with pytest.raises(ValueError, match="unknown match rule 'fax'"):
        keys.key("fax")


def test_identity_keys_are_none_without_data():
    assert identity_keys() == IdentityKeys(None, None, None)
    assert identity_keys(company="ABC").company_name is None  # a company alone identifies nobody
    assert identity_keys(last_name="山田").company_name is None


# ---- properties

text = st.text(max_size=40)
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def to_full_width(value: str) -> str:
    return "".join(FULL_WIDTH.get(ch, ch) for ch in value).replace(" ", "\u3000")


@given(text)
def test_normalisers_are_idempotent(value):
    assert normalize_email(normalize_email(value)) == normalize_email(value)
    assert normalize_company(normalize_company(value)) == normalize_company(value)
    assert normalize_name("", normalize_name(value, "")) == normalize_name(value, "")
    assert normalize_phone(normalize_phone(value)) == normalize_phone(value)


ascii_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)


@given(ascii_text)
def test_full_width_and_half_width_are_equal(value):
    wide = to_full_width(value)
    assert normalize_email(wide) == normalize_email(value)
    assert normalize_company(wide) == normalize_company(value)
    assert normalize_name(wide, "") == normalize_name(value, "")
    assert normalize_phone(wide) == normalize_phone(value)


names = st.text(
    alphabet=st.sampled_from("アイウエオカキクケコサシスセソタチツテトABCXYZ山田商事"),
    min_size=1,
    max_size=12,
)


@given(names)
def test_kabushiki_kaisha_spellings_are_equal(name):
    expected = normalize_company(name)
    for spelling in (
        f"株式会社{name}",
        f"{name}株式会社",
        f"(株){name}",
        f"{name}（株）",
        f"{name}㈱",
        f"㈱ {name}",
    ):
        assert normalize_company(spelling) == expected


@given(ascii_text)
def test_case_does_not_matter(value):
    assert normalize_email(value.upper()) == normalize_email(value.lower())
    assert normalize_company(value.upper()) == normalize_company(value.lower())
    assert normalize_name(value.upper(), "") == normalize_name(value.lower(), "")


INVISIBLE = st.sampled_from(list("\u200b\u200c\u200d\ufeff\u00ad\u200e\u2060\u202a\ufe0f"))


@given(names, st.data())
def test_invisible_characters_change_no_name_or_company(name, data):
    position = data.draw(st.integers(0, len(name)))
    dirty = name[:position] + data.draw(INVISIBLE) + name[position:]
    assert normalize_company(dirty) == normalize_company(name)
    assert normalize_name(dirty, "") == normalize_name(name, "")


@pytest.mark.parametrize(
    "spelling",
    [
        "03-1234-5678 内線 123",
        "03-1234-5678 ext. 12",
        "(03) 1234-5678 #45",
        "03-1234-5678\u200b",
        "312345678",  # the leading 0 lost in a spreadsheet
    ],
)
def test_phone_extensions_and_lost_leading_zeros(spelling):
    assert normalize_phone(spelling, "JP") == "+81312345678"


@pytest.mark.parametrize(
    "spelling", ["ｶﾌﾞｼｷｶﾞｲｼｬ ABC", "ABC カブシキガイシャ", "ユウゲンガイシャABC", "ABC\u200b株式会社"]
)
def test_company_designators_in_kana_and_invisible_characters(spelling):
    assert normalize_company(spelling) == "abc"
