"""Builds frozen settings dataclasses from TOML tables, with errors a user can act on."""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, TypeVar, get_args, get_origin

from livecam.errors import PresetError

T = TypeVar("T")


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """"; did you mean 'x'?" for the closest choice, or "" when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in get_args(tp))
    if origin is tuple and get_args(tp)[-1] is Ellipsis:
        return f"a list of {_describe(get_args(tp)[0])}s"
    if origin is tuple:
        return f"a list of {len(get_args(tp))} numbers"
    return {bool: "true or false", int: "an integer", float: "a number",
            str: "a string"}.get(tp, str(tp))


def _coerce(value: Any, tp: Any) -> Any:
    """Return `value` as type `tp`, or raise ValueError; bools are never numbers."""
    origin = get_origin(tp)
    if origin is typing.Literal:
        if value in get_args(tp):
            return value
        raise ValueError
    if origin in (typing.Union, types.UnionType):
        for arg in get_args(tp):
            try:
                return _coerce(value, arg)
            except ValueError:
                continue
        raise ValueError
    if origin is tuple and get_args(tp)[-1] is Ellipsis:
        if not isinstance(value, list):
            raise ValueError
        return tuple(_coerce(v, get_args(tp)[0]) for v in value)
    if origin is tuple:
        args = get_args(tp)
        if not isinstance(value, list) or len(value) != len(args):
            raise ValueError
        return tuple(_coerce(v, a) for v, a in zip(value, args))
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ValueError
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ValueError
    if tp is str:
        if isinstance(value, str):
            return value
        raise ValueError
    if tp is type(None):
        raise ValueError
    raise TypeError(f"unsupported settings field type {tp}")


def build_settings(cls: type[T], table: Any, where: str) -> T:
    """Construct dataclass `cls` from a TOML table.

    Args:
        cls: A frozen dataclass whose fields have defaults.
        table: The parsed TOML table.
        where: "FILE [section]" for messages.

    Raises:
        PresetError: naming the file, the section, the key and what is allowed.
    """
    if not isinstance(table, dict):
        raise PresetError(f"{where}: expected a table of settings, got {table!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            raise PresetError(f"{where}: unknown key '{key}'{did_you_mean(key, fields)} "
                              f"(allowed: {allowed})")
        if dataclasses.is_dataclass(hints[key]):
            kwargs[key] = build_settings(hints[key], value, f"{where[:-1]}.{key}]"
                                         if where.endswith("]") else f"{where} [{key}]")
            continue
        try:
            kwargs[key] = _coerce(value, hints[key])
        except ValueError:
            raise PresetError(f"{where}: key '{key}' must be {_describe(hints[key])}, "
                              f"got {value!r}") from None
    try:
        return cls(**kwargs)
    except PresetError as exc:
        raise PresetError(f"{where}: {exc}") from None
