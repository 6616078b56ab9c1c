"""Text templates with ``{name}`` placeholders only: no attribute access, indexing, format specs or code.

``{{`` and ``}}`` write literal braces. A placeholder whose value is missing renders as "".
Templates are parsed once at load time; unknown names are reported by the loader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|\{|\}")


class TemplateSyntaxError(ValueError):
    """A template is malformed: an unbalanced brace or a placeholder that is not a plain name."""


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template: literal text and placeholder names, in order."""

    source: str
    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, text or name)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(text for is_name, text in self.parts if is_name)

    def render(self, values: Mapping[str, Any]) -> str:
        """The text with every placeholder replaced by ``render_text(values.get(name))``."""
        return "".join(render_text(values.get(text)) if is_name else text for is_name, text in self.parts)


def parse_template(source: str) -> Template:
    """Parse ``source``; raise TemplateSyntaxError (with the character position) when it is malformed."""
    parts: list[tuple[bool, str]] = []
    position = 0
    for token in _TOKEN.finditer(source):
        if token.start() > position:
            parts.append((False, source[position : token.start()]))
        parts.append(_part(token, source))
        position = token.end()
    if position < len(source):
        parts.append((False, source[position:]))
    return Template(source, tuple(parts))


def _part(token: re.Match[str], source: str) -> tuple[bool, str]:
    text = token.group(0)
    if text in ("{{", "}}"):
        return (False, text[0])
    if text in ("{", "}"):
        raise TemplateSyntaxError(
            f"unbalanced {text!r} at position {token.start()}; write {text * 2!r} for a literal brace"
        )
    name = token.group(1)
    if not _NAME.fullmatch(name):
        raise TemplateSyntaxError(
            f"placeholder {text!r} at position {token.start()} is not a plain name: "
            "only {name} is allowed (no attributes, indexes, format specs or expressions)"
        )
    return (True, name)


def render_text(value: Any) -> str:
    """How a value reads inside a template: None as "", booleans as true/false, whole floats without .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
