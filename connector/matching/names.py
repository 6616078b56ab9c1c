"""Person names as evidence: one folded form per name, compared across order, width, 異体字 and script.

"山田 太郎", "山田太郎", "山田　太郎", ("太郎", "山田") swapped, "YAMADA Taro", "Taro Yamada", "ﾔﾏﾀﾞ ﾀﾛｳ" and
"髙田"/"高田" are one name. Names are evidence only: they are never enough to link anyone on their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from itertools import permutations

from connector.matching.romaji import (
    GIVEN_NAME_READINGS,
    SURNAME_READINGS,
    fold_romaji,
    readings,
    split_known_surname,
)
from connector.matching.text import fold_kanji_variants, is_kana, is_latin_word, strip_invisible, to_katakana

_SEPARATORS = re.compile(r"[\s,、，・/／]+")
_PLACEHOLDERS = frozenset(
    (
        "不明", "未設定", "未入力", "未登録", "ナシ", "無し", "名無し", "unknown", "n/a", "na", "none",
        "null", "-", "--", "ー", "―", "?", "??", ".", "test", "テスト", "dummy", "ダミー", "xxx", "×",
        "noname", "not provided", "[not provided]", "no name",
    )
)  # fmt: skip
"""Whole-field values people type to get past a required name field: no name at all."""
_HONORIFICS = frozenset(
    ("様", "サマ", "サン", "殿", "mr", "mr.", "ms", "ms.", "mrs", "mrs.", "dr", "dr.", "san", "sama")
)
_ATTACHED_HONORIFICS = ("様", "殿")


class NameEvidence(StrEnum):
    """How two people's names relate, from strongest agreement to contradiction."""

    AGREES = "name agrees"
    VARIANT = "name agrees as a variant"  # 異体字, a romaji spelling, or another script
    PARTIAL = "name agrees where given"  # one side has only the family name or an initial
    FAMILY_DIFFERS = "given name agrees, family name differs"  # a marriage or an adoption
    CONTRADICTS = "name contradicts"
    UNCOMPARABLE = "names not comparable"  # different scripts and no known reading
    MISSING = "name missing"

    @property
    def agrees(self) -> bool:
        return self in (NameEvidence.AGREES, NameEvidence.VARIANT)

    @property
    def contradicts(self) -> bool:
        return self in (NameEvidence.FAMILY_DIFFERS, NameEvidence.CONTRADICTS)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A name as folded tokens: the family-name field's words, then the given-name field's words.

    Tokens are NFKC, casefolded, without invisible characters, hiragana as katakana; placeholders and
    honorifics are dropped. The order is as typed (fields may be swapped); comparison ignores it.
    """

    parts: tuple[str, ...] = ()

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> PersonName:
        return cls((*_field_tokens(last), *_field_tokens(first)))

    @classmethod
    def stored(cls, text: str | None) -> PersonName:
        """The name from its stored form (:attr:`stored_form`, the index column ``person_name``)."""
        return cls(tuple((text or "").split()))

    @property
    def stored_form(self) -> str:
        return " ".join(self.parts)

    def __bool__(self) -> bool:
        return bool(self.parts)


def _field_tokens(text: str | None) -> tuple[str, ...]:
    folded = to_katakana(unicodedata.normalize("NFKC", strip_invisible(text or "")).casefold())
    if folded.strip() in _PLACEHOLDERS:
        return ()
    tokens = [t for t in _SEPARATORS.split(folded) if t and t not in _HONORIFICS]
    if tokens and tokens[-1].endswith(_ATTACHED_HONORIFICS) and len(tokens[-1]) > 1:
        tokens[-1] = tokens[-1][:-1]
    return tuple(t for t in tokens if t not in _PLACEHOLDERS)


def _variant(token: str) -> str:
    return fold_romaji(token) if is_latin_word(token) else fold_kanji_variants(token)


def _orders(tokens: tuple[str, ...]) -> set[str]:
    if len(tokens) > 3:
        return {"".join(tokens), "".join(reversed(tokens))}
    return {"".join(p) for p in permutations(tokens)}


def _two_tokens(name: PersonName) -> tuple[str, ...]:
    """The variant-folded tokens, an unspaced kanji name split at a known surname ("佐藤健" → 佐藤, 健)."""
    tokens = tuple(_variant(t) for t in name.parts)
    if len(tokens) == 1 and not tokens[0].isascii():
        split = split_known_surname(tokens[0])
        if split is not None:
            return split
    return tokens


def compare_names(a: PersonName, b: PersonName) -> NameEvidence:
    """The relation of two names (see :class:`NameEvidence`). Symmetric."""
    if not a or not b:
        return NameEvidence.MISSING
    if _orders(a.parts) & _orders(b.parts):
        return NameEvidence.AGREES
    left, right = _two_tokens(a), _two_tokens(b)
    if _orders(left) & _orders(right) or _reading_forms(left) & _reading_forms(right):
        return NameEvidence.VARIANT
    if len(left) > len(right):
        left, right = right, left
    if len(left) == 1 and len(right) <= 2:
        relation = _best((_relate(left[0], token) for token in right), default="differs")
        return _single_token_evidence(relation)
    if len(left) == len(right) == 2:
        return _two_token_evidence(left, right)
    return NameEvidence.CONTRADICTS if _script(a) == _script(b) else NameEvidence.UNCOMPARABLE


def _single_token_evidence(relation: str) -> NameEvidence:
    if relation in ("same", "variant", "initial"):
        return NameEvidence.PARTIAL
    return NameEvidence.UNCOMPARABLE if relation == "unknown" else NameEvidence.CONTRADICTS


def _two_token_evidence(left: tuple[str, ...], right: tuple[str, ...]) -> NameEvidence:
    pairings = [((left[0], right[0]), (left[1], right[1])), ((left[0], right[1]), (left[1], right[0]))]
    best: NameEvidence | None = None
    for pairing in pairings:
        relations = [_relate(x, y) for x, y in pairing]
        matched = [pair[0] for pair, rel in zip(pairing, relations, strict=True) if rel in _MATCHING]
        if len(matched) == 2:
            return NameEvidence.PARTIAL if "initial" in relations else NameEvidence.VARIANT
        if len(matched) == 1 and "differs" in relations:
            found = NameEvidence.FAMILY_DIFFERS if _is_given_name(matched[0]) else NameEvidence.CONTRADICTS
        elif "unknown" in relations:
            found = NameEvidence.UNCOMPARABLE
        else:
            found = NameEvidence.CONTRADICTS
        best = found if best is None or _RANK[found] < _RANK[best] else best
    return best or NameEvidence.CONTRADICTS


_MATCHING = ("same", "variant", "initial")
_RANK = {NameEvidence.FAMILY_DIFFERS: 0, NameEvidence.UNCOMPARABLE: 1, NameEvidence.CONTRADICTS: 2}
_RELATION_ORDER = ("same", "variant", "initial", "unknown", "differs")


def _best(relations, default: str) -> str:
    return min(relations, key=_RELATION_ORDER.index, default=default)


def _relate(x: str, y: str) -> str:
    """How two variant-folded name tokens relate: same, variant, initial, differs or unknown."""
    if x == y:
        return "same"
    if len(y) == 1 and y.isascii():
        x, y = y, x
    if len(x) == 1 and x.isascii():  # an initial: "T." against Taro, タロウ or 太郎
        spellings = readings(y)
        if spellings is None:
            return "unknown"
        return "initial" if any(s.startswith(x) for s in spellings) else "differs"
    if _token_script(x) == _token_script(y):
        return "differs"
    rx, ry = readings(x), readings(y)
    if rx is None or ry is None:
        return "unknown"
    return "variant" if rx & ry else "differs"


def _is_given_name(token: str) -> bool:
    """True when a token is only known as a given name: then the part that differs is the family name."""
    read = readings(token) or frozenset()
    as_given = token in GIVEN_NAME_READINGS or bool(read & _GIVEN_SPELLINGS)
    as_surname = token in SURNAME_READINGS or bool(read & _SURNAME_SPELLINGS)
    return as_given and not as_surname


_SURNAME_SPELLINGS = frozenset().union(*SURNAME_READINGS.values())
_GIVEN_SPELLINGS = frozenset().union(*GIVEN_NAME_READINGS.values())


def _reading_forms(tokens: tuple[str, ...]) -> set[str]:
    """Every romaji spelling of the whole name in any order; empty when a token has no known reading."""
    options = [readings(t) for t in tokens]
    if not options or any(o is None for o in options) or len(tokens) > 3:
        return set()
    forms: set[str] = set()
    for ordering in permutations(options):
        spellings = [""]
        for choices in ordering:
            spellings = [s + c for s in spellings for c in sorted(choices or ())]
        forms.update(fold_romaji(s) for s in spellings)  # a long vowel may form where two parts meet
    return forms


def _token_script(token: str) -> str:
    if token.isascii():
        return "latin"
    return "kana" if all(is_kana(ch) for ch in token) else "kanji"


def _script(name: PersonName) -> str:
    return "+".join(sorted({_token_script(t) for t in name.parts}))


def name_key(name: PersonName) -> str:
    """A lookup key equal for every spelling of one name (order, width, spaces, 異体字, known readings).

    It finds candidates and never decides anything: distinct names may share a key, and
    :func:`compare_names` tells them apart. A name whose reading is known keys on the consonants of its
    romaji, sorted: long-vowel spellings (Satou, Sato, サトウ) and where family and given name meet
    ("Tanaka Akira" folds "aa", "Akira Tanaka" does not) change only vowels. Any other name keys on its
    variant-folded characters, sorted.
    """
    if not name:
        return ""
    tokens = _two_tokens(name)
    primary = [min(r) if r else None for r in map(readings, tokens)]
    if all(primary):
        romaji = fold_romaji("".join(p for p in primary if p))
        text = "".join(ch for ch in romaji if ch not in "aiueo") or romaji
    else:
        text = "".join(tokens)
    return "".join(sorted(text))[:200]
