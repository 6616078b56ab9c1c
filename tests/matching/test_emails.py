"""E-mail addresses as evidence: parsing, invisible characters, homoglyphs, role addresses, near misses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.matching import DEFAULT_SETTINGS, normalize_email
from connector.matching.emails import (
    AddressKind,
    EmailEvidence,
    address_kind,
    compare_emails,
    mailbox_key,
    one_edit,
    provider_canonical,
)
from connector.matching.text import has_homoglyph, homoglyph_scripts, skeleton, strip_invisible

INVISIBLE = list("\u200b\u200c\u200d\ufeff\u00ad\u200e\u200f\u2060\u202a\u2066")


@pytest.mark.parametrize(
    "typed",
    [
        "山田 太郎 <Taro@Example-Corp.co.jp>",
        '"Yamada, Taro" <taro@example-corp.co.jp>',
        "<taro@example-corp.co.jp>",
        "＜ｔａｒｏ＠ｅｘａｍｐｌｅ－ｃｏｒｐ．ｃｏ．ｊｐ＞",
        "mailto:taro@example-corp.co.jp",
        "MAILTO:Taro@Example-Corp.co.jp?subject=資料請求",
        "taro@example-corp.co.jp (Taro Yamada)",
        "Taro Yamada taro@example-corp.co.jp",
        "taro@example-corp.co.jp.",
        "taro @ example-corp.co.jp",
        "ta\u200bro@example-corp.co.jp\ufeff",
    ],
)
def test_the_address_alone_is_kept(typed):
    assert normalize_email(typed) == "taro@example-corp.co.jp"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz.@-", min_size=1, max_size=30), st.data())
def test_invisible_characters_anywhere_change_nothing(address, data):
    position = data.draw(st.integers(0, len(address)))
    invisible = data.draw(st.sampled_from(INVISIBLE))
    assert normalize_email(address[:position] + invisible + address[position:]) == normalize_email(address)


def test_strip_invisible_keeps_visible_text():
    assert strip_invisible("山田\u200b\u3000太郎\ufe0f") == "山田\u3000太郎"
    assert strip_invisible("a\tb\nc") == "a\tb\nc"  # whitespace is text, not an invisible character


@pytest.mark.parametrize(
    ("address", "scripts"),
    [
        ("tаro@x-corp.jp", ("CYRILLIC",)),
        ("taro@x-cοrp.jp", ("GREEK",)),
        ("tаrο@x-corp.jp", ("CYRILLIC", "GREEK")),
    ],
)
def test_look_alike_letters_are_detected(address, scripts):
    assert has_homoglyph(address) and homoglyph_scripts(address) == scripts
    assert skeleton(address).isascii() and normalize_email(address) != skeleton(address)


def test_text_wholly_in_another_script_is_no_homoglyph():
    assert not has_homoglyph("иван@почта.рф") and not has_homoglyph("taro@x-corp.jp")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("info@sakura-shoji.co.jp", AddressKind.ROLE),
        ("eigyo@sakura-shoji.co.jp", AddressKind.ROLE),
        ("sales.tokyo@sakura-shoji.co.jp", AddressKind.ROLE),
        ("info2@sakura-shoji.co.jp", AddressKind.ROLE),
        ("no-reply@sakura-shoji.co.jp", AddressKind.ROLE),
        ("otoiawase@sakura-shoji.co.jp", AddressKind.ROLE),
        ("test@sakura-shoji.co.jp", AddressKind.PLACEHOLDER),
        ("a@a.jp", AddressKind.PLACEHOLDER),
        ("taro@example.com", AddressKind.PLACEHOLDER),
        ("xxxx@sakura-shoji.co.jp", AddressKind.PLACEHOLDER),
        ("taro@sakura.invalid", AddressKind.PLACEHOLDER),
        ("k.sato@sakura-shoji.co.jp", AddressKind.PERSONAL),
        ("mai.araki@i.softbank.jp", AddressKind.PERSONAL),
        ("info.yamada@globex.example.com", AddressKind.ROLE),
        ("taro@globex.example.com", AddressKind.PERSONAL),  # only the reserved domains themselves
    ],
)
def test_address_kinds(address, kind):
    assert address_kind(address, DEFAULT_SETTINGS) is kind


def test_the_role_list_is_configurable():
    settings = DEFAULT_SETTINGS.extended(role_mailboxes=[" Kikaku "], placeholder_domains=["nomail.jp"])
    assert address_kind("kikaku@hikari.jp", DEFAULT_SETTINGS) is AddressKind.PERSONAL
    assert address_kind("kikaku@hikari.jp", settings) is AddressKind.ROLE
    assert address_kind("taro@nomail.jp", settings) is AddressKind.PLACEHOLDER


LOOKS_LIKE = "looks like the same address but is not"


@pytest.mark.parametrize(
    ("a", "b", "evidence", "detail"),
    [
        ("k.sato@sakura.co.jp", "k.sato@sakura.co.jp", EmailEvidence.SAME, ""),
        ("k.sato+ma@gmail.com", "ksato@gmail.com", EmailEvidence.SAME, "the provider ignores dots and +tags"),
        ("k.sato@sakura.co.jp", "k.sato2@sakura.co.jp", EmailEvidence.DIFFERENT, ""),
        ("k.sato@sakura.co.jp", "ksato@sakura.co.jp", EmailEvidence.NEAR, "a dot or hyphen dropped"),
        ("k.sato+ma@sakura.co.jp", "k.sato@sakura.co.jp", EmailEvidence.NEAR, "a +tag"),
        ("k.yamada@sakura.co.jp", "k.yamda@sakura.co.jp", EmailEvidence.NEAR, "one letter"),
        ("k.yamada@sakura.co.jp", "k.yamdaa@sakura.co.jp", EmailEvidence.NEAR, "letters swapped"),
        ("k.yamada@sakura.co.jp", "k.yamada@sakrua.co.jp", EmailEvidence.NEAR, "domain letters swapped"),
        ("k.yamada@sakura.co.jp", "k.yamada@sakura-hd.co.jp", EmailEvidence.SAME_MAILBOX, ""),
        ("k.yamada@sakura.co.jp", "k.yamda@sakura-hd.co.jp", EmailEvidence.DIFFERENT, ""),
        ("ken@sakura.co.jp", "kan@sakura.co.jp", EmailEvidence.DIFFERENT, ""),  # too short for a typo
        ("tаro@sakura.co.jp", "taro@sakura.co.jp", EmailEvidence.HOMOGLYPH, LOOKS_LIKE),
        ("tаro@sakura.co.jp", "tаro@sakura.co.jp", EmailEvidence.HOMOGLYPH, LOOKS_LIKE),
        ("info@sakura.co.jp", "info@sakura.co.jp", EmailEvidence.SAME_SHARED, ""),
        ("info@sakura.co.jp", "info@sakura-hd.co.jp", EmailEvidence.NOT_PERSONAL, ""),
        ("info@sakura.co.jp", "k.sato@sakura.co.jp", EmailEvidence.NOT_PERSONAL, ""),
        ("", "k.sato@sakura.co.jp", EmailEvidence.MISSING, ""),
    ],
)  # fmt: skip
def test_compare_emails(a, b, evidence, detail):
    assert compare_emails(a, b, DEFAULT_SETTINGS).evidence is evidence
    assert compare_emails(a, b, DEFAULT_SETTINGS).detail == detail
    assert compare_emails(b, a, DEFAULT_SETTINGS).evidence is evidence  # symmetric


def test_mailbox_key_and_provider_forms():
    assert mailbox_key("K.Yamada+event@a.jp".lower()) == mailbox_key("kyamada@b.jp") == "kyamada"
    assert mailbox_key("tаro@a.jp") == "taro"  # look-alike letters find what they imitate
    assert provider_canonical("t.a.ro+x@gmail.com", DEFAULT_SETTINGS) == "taro@gmail.com"
    assert provider_canonical("t.aro+x@outlook.jp", DEFAULT_SETTINGS) == "t.aro@outlook.jp"
    assert provider_canonical("t.aro+x@sakura.co.jp", DEFAULT_SETTINGS) == "t.aro+x@sakura.co.jp"


@given(st.text(alphabet="abcde", max_size=8), st.text(alphabet="abcde", max_size=8))
def test_one_edit_is_damerau_distance_one(a, b):
    found = one_edit(a, b)
    assert found == one_edit(b, a)
    if found:
        assert a != b and abs(len(a) - len(b)) <= 1
        assert _distance(a, b) == 1


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance, the slow way."""
    rows = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


@given(st.text(alphabet="abcde", max_size=8), st.text(alphabet="abcde", max_size=8))
def test_every_distance_one_pair_is_found(a, b):
    assert bool(one_edit(a, b)) == (_distance(a, b) == 1)
