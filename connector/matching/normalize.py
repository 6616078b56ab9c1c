"""Canonical forms for identity matching (名寄せ): e-mail, company, person name and phone.

Every function is pure and idempotent (normalising twice equals normalising once), returns "" for
blank input, and makes the spellings people actually type compare equal: full-width and half-width
characters, (株) and 株式会社, upper and lower case, spaces and punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers

from connector.matching.text import strip_invisible

_JAPANESE_DESIGNATORS = (
    "特定非営利活動法人", "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "独立行政法人",
    "地方独立行政法人", "国立大学法人", "社会福祉法人", "宗教法人", "医療法人", "学校法人", "NPO法人",
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "カブシキガイシャ", "ユウゲンガイシャ",
    "ゴウドウガイシャ", "(株)", "(有)", "(同)", "(資)", "(名)", "(社)", "(財)", "(医)", "(学)", "(福)",
)  # fmt: skip
"""Japanese legal-entity words, removed wherever they stand (前株 and 後株 alike). Forms after NFKC:
（株） and ㈱ have already become (株), ｶﾌﾞｼｷｶﾞｲｼｬ has become カブシキガイシャ."""

_ENGLISH_DESIGNATOR = re.compile(
    r"(?<![0-9a-z])(?:co\.?\s*,?\s*ltd\.?|co\.|inc\.?|corp\.?|corporation|llc|l\.l\.c\.|k\.\s?k\.|gmbh|"
    r"limited|ltd\.?|plc)(?![0-9a-z])"
)
"""English and European legal-entity words as whole words (so "Coca-Cola" and "Incline" survive).
Applied to casefolded text."""


def normalize_email(text: str | None) -> str:
    """The address alone: invisible characters removed, NFKC (full-width ＠ and letters become ASCII),
    lower-cased, without whitespace.

    ``山田 <Taro@Example.jp>``, ``"Yamada, Taro" <taro@example.jp>``, ``mailto:taro@example.jp?subject=x``,
    ``taro@example.jp (Taro)`` and ``taro@example.jp.`` all become ``taro@example.jp``. Letters of other
    scripts that look like Latin ones are kept: they make another address (see
    :func:`~connector.matching.text.has_homoglyph`).
    """
    return _until_stable(_email_step, text)


_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>")
_COMMENT = re.compile(r"\([^()]*\)")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_ADDRESS_LIKE = re.compile(r"[^@\s]@[^@\s]")


def _email_step(text: str) -> str:
    value = unicodedata.normalize("NFKC", strip_invisible(text)).strip()
    bracketed = [inside for inside in _ANGLE_ADDRESS.findall(value) if "@" in inside]
    if bracketed:
        value = bracketed[-1]
    value = _COMMENT.sub(" ", value)
    words = [word for word in value.split() if _ADDRESS_LIKE.search(word)]
    if len(words) == 1:  # a display name beside a bare address: "Taro Yamada taro@example.jp"
        value = words[0]
    value = _MAILTO.sub("", value.strip().strip("\"'<>")).split("?", 1)[0]
    return "".join(value.split()).lower().rstrip(".,;:")


def normalize_company(text: str | None) -> str:
    """NFKC, casefolded, without legal-entity designators, punctuation, symbols or any whitespace.

    "株式会社ABC", "ＡＢＣ（株）", "ABC㈱" and "abc Co., Ltd." all become "abc".
    """
    return _until_stable(_company_step, text)


def normalize_name(first: str | None, last: str | None) -> str:
    """A person's name as one key: family name then given name, NFKC, casefolded, without any spaces.

    "山田 太郎", "山田　太郎" and ("太郎", "山田") all become "山田太郎"; half-width ﾔﾏﾀﾞ becomes ヤマダ.
    """
    return _until_stable(lambda value: _strip_spaces(_fold(value)), (last or "") + (first or ""))


def normalize_phone(text: str | None, region: str = "JP") -> str:
    """E.164 (``+81312345678``) when the number is valid in ``region`` or carries its country code;
    otherwise its digits only, so that unparseable numbers still compare equal to themselves.
    An extension (``内線 123``, ``ext. 12``) after a number is dropped: it is the same line."""
    return _until_stable(lambda value: _phone_step(value, region), text)


def _until_stable(step: Callable[[str], str], text: str | None) -> str:
    """Apply ``step`` until the text stops changing, which makes every normaliser idempotent."""
    current = text or ""
    for _ in range(8):
        following = step(current)
        if following == current:
            break
        current = following
    return current


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", strip_invisible(text)).casefold())


def _company_step(text: str) -> str:
    folded = _fold(text)
    for designator in _JAPANESE_DESIGNATORS:
        folded = folded.replace(designator.casefold(), " ")
    return _strip_separators(_ENGLISH_DESIGNATOR.sub(" ", folded))


_EXTENSION = re.compile(r"\s*(?:内線|ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)


def _phone_step(text: str, region: str) -> str:
    cleaned = unicodedata.normalize("NFKC", strip_invisible(text)).strip()
    main_number = _EXTENSION.sub("", cleaned)
    if any(ch.isdecimal() for ch in main_number):  # "03-1234-5678 内線 123": the extension is not the line
        cleaned = main_number
    if not cleaned:
        return ""
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "".join(ch for ch in cleaned if ch.isdecimal() and ch.isascii())


@dataclass(frozen=True, slots=True)
class IdentityKeys:
    """The normalised match keys of one person; None where the person lacks the data for a key."""

    email: str | None
    company_name: str | None  # normalised company + "|" + normalised name
    phone: str | None

    def key(self, rule: str) -> str | None:
        """The key for a match rule ("email", "company_name" or "phone")."""
        if rule not in ("email", "company_name", "phone"):
            raise ValueError(f"unknown match rule {rule!r}; known: email, company_name, phone")
        return getattr(self, rule)


def identity_keys(
    *,
    email: str | None = None,
    company: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    region: str = "JP",
) -> IdentityKeys:
    """The match keys of a person from their raw values. company_name needs both a company and a name."""
    company_norm = normalize_company(company)
    name_norm = normalize_name(first_name, last_name)
    return IdentityKeys(
        email=normalize_email(email) or None,
        company_name=f"{company_norm}|{name_norm}" if company_norm and name_norm else None,
        phone=normalize_phone(phone, region) or None,
    )


def _strip_spaces(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Zs")


def _strip_separators(text: str) -> str:
    """Drop whitespace, punctuation (P*), symbols (S*) and control or format characters (C*)."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")
