"""Names and companies as evidence: order, width, 異体字, scripts, readings; legal forms and branches."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.matching.companies import CompanyEvidence, company_key, compare_companies, legal_form
from connector.matching.names import NameEvidence, PersonName, compare_names, name_key
from connector.matching.romaji import fold_romaji, readings
from connector.matching.text import KANJI_VARIANTS, fold_kanji_variants, to_katakana

YAMADA = PersonName.parse("太郎", "山田")


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("太郎", "山田"), ("", "山田太郎"), ("", "山田　太郎"), ("山田", "太郎"), (None, "山田 太郎 様"),
        ("太郎", "山田\u200b"), ("", "山田太郎様"),
    ],
)  # fmt: skip
def test_order_spacing_and_honorifics_agree(first, last):
    assert compare_names(YAMADA, PersonName.parse(first, last)) is NameEvidence.AGREES


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Taro", "YAMADA"), ("", "Taro Yamada"), ("", "yamada, taro"), ("ﾀﾛｳ", "ﾔﾏﾀﾞ"), ("たろう", "やまだ"),
        ("Tarō", "Yamada"), ("太郎", "山田"),
    ],
)  # fmt: skip
def test_scripts_and_spellings_agree_with_the_kanji_name(first, last):
    other = PersonName.parse(first, last)
    assert compare_names(YAMADA, other) in (NameEvidence.AGREES, NameEvidence.VARIANT)
    assert name_key(other) == name_key(YAMADA)


@pytest.mark.parametrize(
    ("a", "b", "evidence"),
    [
        (("美穂", "髙橋"), ("美穂", "高橋"), NameEvidence.VARIANT),
        (("", "齋藤"), ("", "斉藤"), NameEvidence.VARIANT),
        (("", "渡邊 健"), ("", "渡辺健"), NameEvidence.VARIANT),
        (("理恵", "山﨑"), ("理恵", "山崎"), NameEvidence.VARIANT),
        (("健", "佐藤"), ("", "Takeshi Sato"), NameEvidence.VARIANT),  # 健 has several readings
        (("", "山田"), ("太郎", "山田"), NameEvidence.PARTIAL),
        (("", "T. Yamada"), ("太郎", "山田"), NameEvidence.PARTIAL),
        (("花子", "鈴木"), ("花子", "佐藤"), NameEvidence.FAMILY_DIFFERS),
        (("健", "佐藤"), ("健一", "佐藤"), NameEvidence.CONTRADICTS),
        (("", "佐藤健"), ("", "佐藤健一"), NameEvidence.CONTRADICTS),
        (("健", "佐藤"), ("花子", "佐藤"), NameEvidence.CONTRADICTS),
        (("", "Kenta Sato"), ("健", "佐藤"), NameEvidence.CONTRADICTS),
        (("Q1", "Team"), ("Q2", "Team"), NameEvidence.CONTRADICTS),  # folding romaji must keep digits
        (("Taro2", "Yamada"), ("Taro3", "Yamada"), NameEvidence.CONTRADICTS),  # numbered colleagues
        (("Taro", "Sato"), ("Taro", "Satou"), NameEvidence.VARIANT),
        (("明", "黒澤"), ("Akira", "Kurosawa"), NameEvidence.UNCOMPARABLE),  # no known reading of 黒澤
        (("", "不明"), ("太郎", "山田"), NameEvidence.MISSING),
        ((None, None), ("太郎", "山田"), NameEvidence.MISSING),
    ],
)
def test_name_evidence(a, b, evidence):
    left, right = PersonName.parse(*a), PersonName.parse(*b)
    assert compare_names(left, right) is evidence
    assert compare_names(right, left) is evidence  # symmetric


def test_stored_form_round_trips():
    names = (YAMADA, PersonName.parse("Taro", "Yamada"), PersonName.parse(None, "髙橋 美穂"), PersonName())
    for name in names:
        assert PersonName.stored(name.stored_form) == name


NAME_CHARACTERS = "佐藤鈴木高橋田中山田太郎花子健一髙﨑齋邊濵櫻やまだタロウ"
japanese = st.text(alphabet=NAME_CHARACTERS, min_size=1, max_size=4)
surnames = st.sampled_from(["佐藤", "髙橋", "渡邊", "山﨑", "齋藤", "濵田", "櫻井", "田中", "長谷川", "小林"])
given_names = st.sampled_from(["太郎", "花子", "健", "明", "さくら", "ユウキ", "翔太", "修", "一郎", "恵子"])


@given(japanese, japanese)
def test_name_key_ignores_order_spacing_and_variants(family, given_name):
    key = name_key(PersonName.parse(given_name, family))
    assert name_key(PersonName.parse(family, given_name)) == key
    assert name_key(PersonName.parse(None, f"{family}\u3000{given_name}")) == key
    assert name_key(PersonName.parse(fold_kanji_variants(given_name), fold_kanji_variants(family))) == key


@given(surnames, given_names, st.booleans())
def test_name_key_of_a_common_name_ignores_script_and_unspaced_writing(family, given_name, latin_first):
    key = name_key(PersonName.parse(given_name, family))
    assert name_key(PersonName.parse(None, f"{family}{given_name}")) == key
    spelled = [min(readings(to_katakana(fold_kanji_variants(part))) or {""}) for part in (given_name, family)]
    latin = " ".join(spelled if latin_first else spelled[::-1])
    assert name_key(PersonName.parse(None, latin.title())) == key


@given(japanese, japanese)
def test_a_name_agrees_with_itself_in_any_order(family, given_name):
    name = PersonName.parse(given_name, family)
    assert compare_names(name, PersonName.parse(family, given_name)).agrees


def test_variant_kanji_table_maps_to_common_forms():
    assert fold_kanji_variants("髙﨑齋邊濵櫻") == "高崎斎辺浜桜"
    assert all(fold_kanji_variants(common) == common for common in KANJI_VARIANTS.values())


@pytest.mark.parametrize(
    ("spellings", "folded"),
    [
        (("Satō", "Satou", "Satoh", "sato", "サトウ"), "sato"),
        (("Shinji", "Sinzi", "シンジ"), "sinzi"),
        (("Yuuki", "Yūki", "Yuki", "ユウキ"), "yuki"),
        (("Homma", "Honma", "ホンマ"), "honma"),
        (("Junko", "Zyunko", "ジュンコ"), "zyunko"),
        (("Hattori", "ハットリ"), "hattori"),
    ],
)
def test_romaji_spellings_and_kana_fold_together(spellings, folded):
    assert {readings(s.casefold()) for s in spellings} == {frozenset({folded})}


@given(st.text(max_size=20))
def test_fold_romaji_is_idempotent(text):
    assert fold_romaji(fold_romaji(text)) == fold_romaji(text)


# ---- companies


@pytest.mark.parametrize(
    "spelling",
    [
        "株式会社さくら商事",
        "さくら商事株式会社",
        "(株)さくら商事 東京支店",
        "さくら商事㈱ 営業部",
        "さくら商事大阪支社",
        "さくら商事",
    ],
)
def test_company_key_drops_legal_forms_branches_and_departments(spelling):
    assert company_key(spelling) == "さくら商事"


@pytest.mark.parametrize(
    ("spelling", "form"),
    [
        ("株式会社さくら商事", "株式会社:pre"), ("（株）さくら商事 東京支店", "株式会社:pre"),
        ("ｶﾌﾞｼｷｶﾞｲｼｬ ｻｸﾗ", "株式会社:pre"), ("さくら商事株式会社", "株式会社:post"),
        ("さくら商事㈱", "株式会社:post"),
        ("有限会社ひかり企画", "有限会社:pre"), ("さくら商事", ""), ("Globex Inc.", ""),
    ],
)  # fmt: skip
def test_legal_form_position(spelling, form):
    assert legal_form(spelling) == form


def test_company_evidence():
    pre, post = legal_form("株式会社北斗電機"), legal_form("北斗電機株式会社")
    key = company_key("北斗電機")
    assert compare_companies(key, pre, key, "") is CompanyEvidence.SAME  # the form left out
    assert compare_companies(key, pre, key, pre) is CompanyEvidence.SAME
    assert compare_companies(key, pre, key, post) is CompanyEvidence.LEGAL_FORM_DIFFERS  # 前株 vs 後株
    other_form = legal_form("有限会社北斗電機")
    assert compare_companies(key, pre, key, other_form) is CompanyEvidence.LEGAL_FORM_DIFFERS
    assert compare_companies(key, "", company_key("南斗電機"), "") is CompanyEvidence.DIFFERS
    assert compare_companies("", "", key, "") is CompanyEvidence.MISSING


@given(st.text(max_size=30))
def test_company_key_is_idempotent(text):
    assert company_key(company_key(text)) == company_key(text)
