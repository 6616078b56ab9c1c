"""A parser for the SOQL subset the Salesforce fake answers.

Grammar: ``SELECT f1, f2 | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...]
[LIMIT n] [OFFSET n]``; conditions combine ``= != <> < <= > >= IN NOT IN LIKE`` with AND, OR, NOT and
parentheses (mixing AND and OR at one level needs parentheses, as in Salesforce); a selected name may
follow relationships (``Account.Name``). Literals: quoted strings with
backslash escapes, numbers, true/false, null, and unquoted date (``2024-05-01``) and datetime
(``2024-05-01T12:00:00Z`` or with an offset) literals. Keywords and names are case-insensitive.

Parsing knows no schema; :mod:`connector.sandbox.salesforce.soql_compile` binds names to fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<op><=|>=|!=|<>|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


class SoqlSyntaxError(ValueError):
    """The text is not SOQL this parser understands; ``code`` is the errorCode Salesforce answers."""

    code = "MALFORMED_QUERY"

    def __init__(self, message: str, position: int) -> None:
        self.position = position
        super().__init__(message)

    def located(self, text: str) -> str:
        """The message with Salesforce's pointer to the offending row and column of ``text``."""
        row = text.count("\n", 0, self.position) + 1
        column = self.position - (text.rfind("\n", 0, self.position) + 1)
        return f"\n{text}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{self}"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    position: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True, slots=True)
class Literal:
    """A value in a condition. ``kind``: string, number, boolean, null, date or datetime."""

    kind: str
    text: str

    @property
    def value(self) -> Any:
        if self.kind == "string":
            return unescape(self.text[1:-1])
        if self.kind == "number":
            return float(self.text)
        if self.kind == "boolean":
            return self.text.lower() == "true"
        if self.kind == "null":
            return None
        return self.text


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    """One of = != < <= > >= IN NOTIN LIKE (``<>`` is read as ``!=``)."""
    value: Literal | tuple[Literal, ...]
    position: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # AND / OR
    parts: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Any


@dataclass(frozen=True, slots=True)
class OrderItem:
    field: str
    descending: bool
    nulls_first: bool
    position: int


@dataclass(frozen=True, slots=True)
class Query:
    fields: tuple[tuple[str, int], ...]
    """Selected names with their positions in the text (for error messages)."""
    sobject: str
    sobject_position: int
    where: Condition | BoolOp | Not | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int
    count: bool = False
    """``SELECT COUNT() FROM ...``: the answer is only the number of matching records."""


def unescape(raw: str) -> str:
    """Decode SOQL backslash escapes; ``\\%`` and ``\\_`` stay escaped (they only mean something in LIKE)."""
    out, i = [], 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SoqlSyntaxError(f"unexpected token: '{text[position : position + 10]}'", position)
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup or "", match.group(), position))
        position = match.end()
    return tokens


def parse(text: str) -> Query:
    """Parse one SOQL statement; raise SoqlSyntaxError with Salesforce-like wording."""
    return _Parser(tokenize(text), len(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token], end: int) -> None:
        self.tokens = tokens
        self.index = 0
        self.end = end

    # ---- token helpers -------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlSyntaxError("unexpected end of query", self.end)
        self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.upper in words

    def expect_keyword(self, word: str) -> Token:
        token = self.take()
        if token.kind != "word" or token.upper != word:
            raise SoqlSyntaxError(f"unexpected token: '{token.text}', expecting {word}", token.position)
        return token

    def expect_punct(self, char: str) -> None:
        token = self.take()
        if token.text != char:
            raise SoqlSyntaxError(f"unexpected token: '{token.text}', expecting '{char}'", token.position)

    def name(self) -> Token:
        token = self.take()
        if token.kind != "word" or token.upper in _RESERVED:
            raise SoqlSyntaxError(f"unexpected token: '{token.text}'", token.position)
        return token

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise SoqlSyntaxError(f"unexpected token: '{token.text}', expecting a number", token.position)
        return int(token.text)

    # ---- grammar -------------------------------------------------------------------------------
    def query(self) -> Query:
        self.expect_keyword("SELECT")
        count = self.at_keyword("COUNT") and getattr(self.peek(1), "text", "") == "("
        fields = [] if count else [self.name()]
        if count:
            self.take(), self.expect_punct("("), self.expect_punct(")")
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.take()
            fields.append(self.name())
        self.expect_keyword("FROM")
        sobject = self.name()
        where = None
        if self.at_keyword("WHERE"):
            self.take()
            where = self.condition()
        order_by = self.order_by() if self.at_keyword("ORDER") else ()
        limit = offset = None
        if self.at_keyword("LIMIT"):
            self.take()
            limit = self.integer()
        if self.at_keyword("OFFSET"):
            self.take()
            offset = self.integer()
        leftover = self.peek()
        if leftover is not None:
            raise SoqlSyntaxError(f"unexpected token: '{leftover.text}'", leftover.position)
        return Query(
            tuple((f.text, f.position) for f in fields),
            sobject.text,
            sobject.position,
            where,
            order_by,
            limit,
            offset or 0,
            count,
        )

    def condition(self) -> Condition | BoolOp | Not:
        parts = [self.unary()]
        joiner = None
        while self.at_keyword("AND", "OR"):
            token = self.take()
            if joiner is not None and token.upper != joiner:
                raise SoqlSyntaxError(f"unexpected token: '{token.text}'", token.position)
            joiner = token.upper
            parts.append(self.unary())
        return parts[0] if joiner is None else BoolOp(joiner, tuple(parts))

    def unary(self) -> Condition | BoolOp | Not:
        if self.at_keyword("NOT"):
            self.take()
            return Not(self.unary())
        token = self.peek()
        if token is not None and token.text == "(":
            self.take()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.simple()

    def simple(self) -> Condition:
        field = self.name()
        token = self.take()
        if token.kind == "op":
            op = "!=" if token.text == "<>" else token.text
            return Condition(field.text, op, self.literal(), field.position)
        if token.kind == "word" and token.upper == "LIKE":
            return Condition(field.text, "LIKE", self.literal(), field.position)
        if token.kind == "word" and token.upper == "NOT":
            self.expect_keyword("IN")
            return Condition(field.text, "NOTIN", self.literal_list(), field.position)
        if token.kind == "word" and token.upper == "IN":
            return Condition(field.text, "IN", self.literal_list(), field.position)
        raise SoqlSyntaxError(f"unexpected token: '{token.text}'", token.position)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.take()
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.take()
        if token.kind in ("string", "number", "date", "datetime"):
            return Literal(token.kind, token.text)
        if token.kind == "word" and token.upper in ("TRUE", "FALSE"):
            return Literal("boolean", token.text)
        if token.kind == "word" and token.upper == "NULL":
            return Literal("null", token.text)
        raise SoqlSyntaxError(f"unexpected token: '{token.text}'", token.position)

    def order_by(self) -> tuple[OrderItem, ...]:
        self.expect_keyword("ORDER")
        self.expect_keyword("BY")
        items = [self.order_item()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.take()
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        field = self.name()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.take().upper == "DESC"
        nulls_first = not descending
        if self.at_keyword("NULLS"):
            self.take()
            if not self.at_keyword("FIRST", "LAST"):
                token = self.take()
                raise SoqlSyntaxError(
                    f"unexpected token: '{token.text}', expecting FIRST or LAST", token.position
                )
            nulls_first = self.take().upper == "FIRST"
        return OrderItem(field.text, descending, nulls_first, field.position)


_RESERVED = frozenset(
    {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "OFFSET", "NULL",
     "TRUE", "FALSE", "ASC", "DESC", "NULLS"}
)  # fmt: skip
