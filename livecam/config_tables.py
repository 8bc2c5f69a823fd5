"""Builds frozen settings dataclasses from TOML tables, with errors a user can act on."""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from livecam.errors import PresetError

T = TypeVar("T")


def read_text(path: Path, what: str) -> str:
    """A settings file's text (a UTF-8 byte-order mark is allowed), or a PresetError saying
    why it cannot be read: a folder, a broken link, a binary or non-UTF-8 file."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PresetError(f"{path}: the {what} is not a UTF-8 text file; save it as UTF-8 "
                          "text (or remove it)") from None
    except IsADirectoryError:
        raise PresetError(f"{path}: the {what} is a folder, not a file") from None
    except OSError as exc:
        raise PresetError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """"; did you mean 'x'?" for the closest choice, or "" when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


_PLURAL = {int: "integers", float: "finite numbers", str: "strings", bool: "true/false values"}


def _describe(tp: Any) -> str:
    if get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    origin = get_origin(tp)
    if origin is typing.Literal:
        names = [repr(a) for a in get_args(tp)]
        return " or ".join(names) if len(names) <= 2 else "one of " + ", ".join(names)
    if origin is tuple and get_args(tp)[-1] is Ellipsis:
        return f"a list of {_describe(get_args(tp)[0])}s"
    if origin is tuple:
        kinds = {_PLURAL.get(a, "values") for a in get_args(tp)}
        return f"a list of {len(get_args(tp))} {' or '.join(sorted(kinds))}"
    return {bool: "true or false", int: "an integer", float: "a finite number",
            str: "a string"}.get(tp, str(tp))


def _coerce(value: Any, tp: Any) -> Any:
    """Return `value` as type `tp`, or raise ValueError; bools are never numbers."""
    if get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
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
    if tp is float:   # a setting is never nan or inf: they pass every comparison check
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value):
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


@dataclasses.dataclass(frozen=True, slots=True)
class Checked:
    """A text setting checked by a function that says what is wrong with a value (None when
    nothing is), declared in its annotation (`Annotated[str, Checked(fn)]`)."""

    problem: typing.Callable[[Any], str | None]


@dataclasses.dataclass(frozen=True, slots=True)
class Range:
    """The allowed values of a number setting, declared once in its annotation
    (`Annotated[float, Range(0, 1)]`) and checked by `check_fields`.

    Attributes:
        lo, hi: Bounds (inclusive unless `below_hi`); None for no bound.
        below_hi: The value must stay below `hi`.
        step: The value must be a multiple of this (integers).
        zero_ok: 0 is also allowed (an "off" value outside the range).
    """

    lo: float | None = None
    hi: float | None = None
    below_hi: bool = False
    step: int | None = None
    zero_ok: bool = False

    def allows(self, value: float) -> bool:
        if self.zero_ok and value == 0:
            return True
        if value != value:   # NaN
            return False
        if self.lo is not None and value < self.lo:
            return False
        if self.hi is not None and (value >= self.hi if self.below_hi else value > self.hi):
            return False
        return not (self.step and int(value) % self.step)

    def describe(self) -> str:
        parts = []
        if self.step:
            parts.append(f"a multiple of {self.step}")
        if self.lo is not None and self.hi is not None:
            parts.append(f"{self.lo:g} to {'below ' if self.below_hi else ''}{self.hi:g}")
        elif self.lo is not None:
            parts.append(f"at least {self.lo:g}")
        elif self.hi is not None:
            parts.append(f"{'below' if self.below_hi else 'at most'} {self.hi:g}")
        text = " from ".join(parts) if self.step else " ".join(parts)
        return f"0 or {text}" if self.zero_ok else text


def check_fields(settings: Any, section: str) -> None:
    """Check every field of a settings dataclass against its declared type: a `Range` in an
    `Annotated` number, the choices of a `Literal`.

    Raises:
        PresetError: "SECTION.KEY must be ..., got VALUE".
    """
    hints = typing.get_type_hints(type(settings), include_extras=True)
    for f in dataclasses.fields(settings):
        tp, value = hints[f.name], getattr(settings, f.name)
        rules: list[Any] = []
        if get_origin(tp) is typing.Annotated:
            tp, *rules = get_args(tp)
        if get_origin(tp) is typing.Literal and value not in get_args(tp):
            raise PresetError(f"{section}.{f.name} must be {_describe(tp)}, got {value!r}")
        for rule in rules:
            if isinstance(rule, Checked):
                problem = rule.problem(value)
                if problem:
                    raise PresetError(f"{section}.{f.name}: {problem}")
            if not isinstance(rule, Range):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not rule.allows(value):
                raise PresetError(f"{section}.{f.name} must be {rule.describe()}, "
                                  f"got {value!r}")


def choices(tp: Any) -> tuple[str, ...]:
    """The choices of a `Literal` type (for argparse and the API)."""
    return tuple(get_args(tp))
