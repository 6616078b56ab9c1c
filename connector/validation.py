"""pydantic validation errors as one line each: ``<file>: <key.path>: <what is wrong>``.

The one wording for every file revloop reads (config.toml and mapping files):

* an unknown key: ``unknown key; did you mean 'x'?`` when a key of that table is close, else
  ``unknown key; expected one of: a, b, c`` (the keys of that very table);
* a missing key: ``required key is missing``;
* a value of the wrong TOML type: ``expected a table`` / ``a list`` / ``a string`` / ``true or false``;
* any other refused value: the check's own message.

A message ends with the value got, unless the value is a table (a table-level check names its keys
itself) or absent (TOML has no null, so None means the key was not given).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_EXPECTED = {
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "dict_type": "expected a table",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
}
"""Wrong TOML types, in the words of a TOML file rather than Python's."""


def describe_errors(
    error: ValidationError, *, source: str | Path, model: type[BaseModel], at: Sequence[str] = ()
) -> list[str]:
    """One message per problem (duplicates dropped), each naming ``source`` and the key path.

    ``model`` is the model that was validated: unknown keys are answered with the keys of the table
    they were found in, found by walking its annotations. ``at`` is where that table sits in the file
    when it is not the whole file (``("systems", "crm")``).
    """
    problems: list[str] = []
    for details in error.errors(include_url=False):
        problem = f"{source}: {key_path([*at, *details['loc']])}: {_message(details, model)}"
        if problem not in problems:
            problems.append(problem)
    return problems


def key_path(loc: Sequence[int | str]) -> str:
    """``("fields", "Phone", "transform", 0)`` → ``fields.Phone.transform[0]``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _message(details: ErrorDetails, model: type[BaseModel]) -> str:
    kind = details["type"]
    if kind == "extra_forbidden":
        return f"unknown key; {_expected_keys(model, tuple(details['loc']))}"
    if kind == "missing":
        return "required key is missing"
    message = _EXPECTED.get(kind) or details["msg"].removeprefix("Value error, ")
    value = details.get("input")
    if value is None or isinstance(value, dict):
        return message
    return f"{message} (got {value!r})"


def _expected_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """A did-you-mean hint, or the keys allowed in the table where an unknown key was found."""
    annotation: Any = model
    for part in loc[:-1]:
        annotation = _inside(annotation, part)
    table = _model_in(annotation)
    if table is None:
        return "check the spelling"
    known = list(keys_of(table))
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"


def keys_of(model: type[BaseModel]) -> Iterable[str]:
    """The keys a file may write in ``model``'s table, as written (aliases, such as ``from``)."""
    return (info.alias or name for name, info in model.model_fields.items() if not info.exclude)


def _inside(annotation: Any, part: int | str) -> Any:
    """The annotation of the value at ``part`` inside a value annotated ``annotation`` (None: unknown)."""
    annotation = _unwrapped(annotation)
    origin = get_origin(annotation)
    if origin is dict:  # [fields.<name>], [flows.<name>]: any name, then the value's table
        return get_args(annotation)[1]
    if origin in (list, tuple):
        return get_args(annotation)[0]
    model = _model_in(annotation)
    if model is None:
        return None
    for name, info in model.model_fields.items():
        if part in (name, info.alias):
            return info.annotation
    return None


def _unwrapped(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``X``, ``X | None`` or ``Annotated[X, ...]``, if any."""
    annotation = _unwrapped(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return next(filter(None, (_model_in(arg) for arg in get_args(annotation))), None)
    return None
