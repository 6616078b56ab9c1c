"""Character-level folds for identity matching: invisible characters, look-alike letters, kana, 異体字.

Pure functions on single strings. Each fold is idempotent: applying it twice equals applying it once.
"""

from __future__ import annotations

import unicodedata

_INVISIBLE_OUTSIDE_CF = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers: letters that render as nothing
    "\u2800"  # braille pattern blank
)
"""Characters that render as nothing but are not in Unicode's format category (Cf)."""


def is_invisible(ch: str) -> bool:
    """Zero-width, bidi, BOM, soft hyphen, variation selectors, controls other than whitespace, fillers.

    Format characters (Cf: ZWSP U+200B, ZWNJ, ZWJ, LRM/RLM, bidi embeddings and isolates, BOM U+FEFF,
    soft hyphen U+00AD, word joiner) arrive in form fields pasted from documents and mail clients.
    Variation selectors (U+FE00-FE0F, U+E0100-E01EF) pick a glyph of the same character (IVS).
    """
    category = unicodedata.category(ch)
    if category == "Cf" or ch in _INVISIBLE_OUTSIDE_CF:
        return True
    if category == "Cc":
        return not ch.isspace()
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def strip_invisible(text: str) -> str:
    """``text`` without invisible characters (see :func:`is_invisible`); visible text is untouched."""
    return "".join(ch for ch in text if not is_invisible(ch))


# ---- look-alike letters (homoglyphs)

_CONFUSABLE_PAIRS = (
    # Cyrillic lower and upper case letters drawn like Latin ones
    "аa еe оo рp сc хx уy кk мm тt нh вb іi јj ѕs ԁd ԛq ԝw һh ӏl ёe"
    " АA ЕE ОO РP СC ХX УY КK МM ТT НH ВB ІI ЈJ ЅS"
    # Greek
    " οo αa νv ρp ιi κk τt υu χx εe ηn ϲc ϳj ΟO ΑA ΒB ΕE ΗH ΙI ΚK ΜM ΝN ΡP ΤT ΥY ΧX ΖZ"
    # Latin letters outside ASCII that read as ASCII ones
    " ıi ɡg ɑa ʟl ℓl"
)
CONFUSABLES: dict[str, str] = {pair[0]: pair[1] for pair in _CONFUSABLE_PAIRS.split()}
"""Letters of other scripts that look like a Latin letter, mapped to that letter (after NFKC)."""


def skeleton(text: str) -> str:
    """``text`` with every look-alike letter replaced by the Latin letter it imitates."""
    return "".join(CONFUSABLES.get(ch, ch) for ch in text)


def has_homoglyph(text: str) -> bool:
    """True when ``text`` mixes ASCII letters with a letter of another script drawn like a Latin one.

    An address such as "tаro@example.jp" with a Cyrillic а reads as taro@example.jp but is another
    mailbox: it must never count as the same address. Text wholly in another script is not flagged.
    """
    return any(ch in CONFUSABLES for ch in text) and any(is_latin(ch) for ch in text)


def homoglyph_scripts(text: str) -> tuple[str, ...]:
    """The scripts of the look-alike letters in ``text`` (e.g. ("CYRILLIC",)), for a review reason."""
    scripts = {unicodedata.name(ch, "UNKNOWN").split()[0] for ch in text if ch in CONFUSABLES}
    return tuple(sorted(scripts))


# ---- Japanese name variants

_KANJI_VARIANTS = (
    "髙高 﨑崎 嵜崎 碕崎 齋斎 齊斎 斉斎 邊辺 邉辺 濵浜 濱浜 櫻桜 澤沢 國国 廣広 實実 惠恵 德徳 眞真 藏蔵"
    " 來来 冨富 增増 槇槙 栁柳 鷗鴎 蘆芦 嶋島 嶌島 埜野 峯峰 瀨瀬 淵渕 邨村 舘館 萬万 壽寿 條条 彌弥 榮栄"
    " 兒児 龍竜 曾曽 會会 學学 淺浅 將将 當当 團団 黑黒 綠緑 髮髪 莊荘 驒騨 靜静 滿満 錢銭 鐵鉄 圓円 聰聡"
    " 穗穂 𠮷吉 﨔欅"
)
KANJI_VARIANTS: dict[str, str] = {pair[0]: pair[1] for pair in _KANJI_VARIANTS.split()}
"""Variant kanji (異体字) seen in one person's records, each mapped to its common form."""


def fold_kanji_variants(text: str) -> str:
    """Replace variant kanji with their common form: 髙橋 → 高橋, 渡邊 → 渡辺, 齋藤/齊藤/斉藤 → 斎藤."""
    return "".join(KANJI_VARIANTS.get(ch, ch) for ch in text)


def to_katakana(text: str) -> str:
    """Hiragana as katakana (やまだ → ヤマダ); half-width katakana is left to NFKC."""
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def is_kana(ch: str) -> bool:
    return "ぁ" <= ch <= "ゖ" or "ァ" <= ch <= "ヺ" or ch in "ー・ヽヾゝゞ"


def is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def is_latin_word(text: str) -> bool:
    """True for romaji and other Latin-script words, accents and macrons included ("Satō", "Müller"); a
    token with a digit is no word ("Q1", "Taro2": folding it as romaji would drop what tells them apart)."""
    return bool(text) and all(
        (ch.isascii() and not ch.isdigit()) or _is_latin_letter_or_mark(ch) for ch in text
    )


def _is_latin_letter_or_mark(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN") or bool(unicodedata.combining(ch))
