"""Company names as evidence: the name without branch or department, and the legal form's position.

Company names are evidence, never keys: many people share a company, and 株式会社X (前株) and X株式会社
(後株) can be different legal entities, so the position of the legal form is kept for comparison while
:func:`~connector.matching.normalize.normalize_company` removes it for lookups.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from connector.matching.normalize import normalize_company
from connector.matching.text import strip_invisible

_LEGAL_FORMS = {
    "株式会社": ("株式会社", "(株)", "カブシキガイシャ"),
    "有限会社": ("有限会社", "(有)", "ユウゲンガイシャ"),
    "合同会社": ("合同会社", "(同)", "ゴウドウガイシャ"),
}
"""Japanese legal forms whose position (before or after the name) tells entities apart, by spelling."""

_PLACES = (
    "東京|大阪|名古屋|横浜|京都|神戸|福岡|札幌|仙台|広島|千葉|埼玉|さいたま|静岡|新潟|金沢|岡山|熊本|鹿児島|"
    "沖縄|那覇|北海道|東北|関東|関西|中部|九州|四国|中国|北陸|東日本|西日本|首都圏|新宿|渋谷|品川|梅田|池袋"
)
_DEPARTMENTS = "営業|総務|人事|経理|開発|技術|企画|広報|マーケティング|情報システム|システム|販売|管理|購買"
_SUFFIX = re.compile(
    rf"(?:(?:{_PLACES})(?:支店|支社|営業所|事業所|出張所|オフィス)|(?:{_DEPARTMENTS})(?:本部|部|課|室|グループ)|"
    r"本社|本店)$"
)
"""A branch (東京支店, 大阪支社) or department (営業部) after the company name, on normalised text."""


class CompanyEvidence(StrEnum):
    SAME = "company same"
    LEGAL_FORM_DIFFERS = "company name same, legal form differs"  # 株式会社X / X株式会社, 株式会社 / 有限会社
    DIFFERS = "company differs"
    MISSING = "company missing"


def company_key(text: str | None) -> str:
    """The company name for comparison and lookups: normalised, without a branch or department suffix.

    "株式会社サンプル 東京支店", "サンプル㈱ 営業部" and "ｻﾝﾌﾟﾙ" all become "サンプル". Idempotent.
    """
    return company_base(normalize_company(text))


def company_base(normalised: str) -> str:
    """:func:`company_key` of an already normalised company name (as stored in the identity index)."""
    previous = None
    while previous != normalised:
        previous, stripped = normalised, _SUFFIX.sub("", normalised)
        normalised = stripped or normalised  # a company called only "本社" keeps its name
    return normalised


def legal_form(text: str | None) -> str:
    """Which Japanese legal form stands where: "株式会社:pre" (前株), "株式会社:post" (後株), or "".

    English designators (Inc., Co., Ltd., K.K.) and forms in the middle of a name say nothing here.
    """
    folded = unicodedata.normalize("NFKC", strip_invisible(text or "")).casefold()
    folded = _SUFFIX_WITH_SPACE.sub("", folded.strip()).strip()
    for form, spellings in _LEGAL_FORMS.items():
        for spelling in spellings:
            if folded.startswith(spelling):
                return f"{form}:pre"
            if folded.endswith(spelling):
                return f"{form}:post"
    return ""


_SUFFIX_WITH_SPACE = re.compile(r"\s+\S*(?:支店|支社|営業所|事業所|出張所|本部|部|課|室|グループ|本社|本店)$")


def compare_companies(a: str, a_form: str, b: str, b_form: str) -> CompanyEvidence:
    """Compare two company keys (:func:`company_key`) and their legal forms (:func:`legal_form`).

    A form given on one side only is no difference (people leave 株式会社 out); the same name with the
    form on opposite sides, or two different forms, is ``LEGAL_FORM_DIFFERS``.
    """
    if not a or not b:
        return CompanyEvidence.MISSING
    if a != b:
        return CompanyEvidence.DIFFERS
    if a_form and b_form and a_form != b_form:
        return CompanyEvidence.LEGAL_FORM_DIFFERS
    return CompanyEvidence.SAME
