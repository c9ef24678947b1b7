"""What the build cache stores besides text: loaded results files as JSON, read back without running code.

A cache file is data an earlier build wrote; reading it must not be able to do more than give values. So
nothing is pickled: a value is JSON of a known shape, and reading rebuilds only that shape, from the type
hints of the classes listed in TYPES (the model's frozen dataclasses a loaded results file and an
evaluation's summary are made of),
with dates, tuples and JSON's own scalars. Each class is a JSON array of its fields in order, a date its
ISO text, a tuple an array. A value of any other type is refused when storing (the entry is not cached),
data of any other shape when reading (a miss).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import types
import typing
from typing import Any, Callable, Optional

from generator.errors import Location, Problem
from generator.model import Counts, Entry, Launch, Reason, Release, Signoff, Summary, iso_date

# The only classes a cache entry can hold. A class added here must have fields of the kinds _codec knows.
TYPES = (Release, Entry, Signoff, Launch, Location, Problem, Summary, Counts, Reason)
_SCALARS = {str, int, float, bool}
Convert = Optional[Callable[[Any], Any]]  # None: the value is stored as it is


class CodecError(ValueError):
    """A value that cannot be stored, or stored data that is not of the shape asked for."""


def _scalar(kind: type) -> Callable[[Any], Any]:
    allowed = (kind, int) if kind is float else (kind,)  # 2 is a fine float; True is not an int here

    def check(value: Any) -> Any:
        if type(value) not in allowed:
            raise CodecError(f"{type(value).__name__} where the cache stores {kind.__name__}")
        return value

    return check


def _codec(hint: Any) -> tuple[Callable[[Any], Any], Convert]:
    """(to JSON data, from JSON data or None when it is the same) for a value of type `hint`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        # The same few strings (paths, statuses, names) recur in every entry of a long history: one object
        # each instead of one per occurrence holds a tenth of the memory.
        return _scalar(str), sys.intern
    if hint in _SCALARS:
        return _scalar(hint), None
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        to, back = _codec(next(a for a in args if a is not type(None)))
        return ((lambda v: None if v is None else to(v)),
                None if back is None else (lambda v: None if v is None else back(v)))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        to, back = _codec(args[0])
        return ((lambda v: [to(x) for x in _exactly(v, tuple)]),
                tuple if back is None else (lambda v: tuple(map(back, _exactly(v, list)))))
    if origin is tuple and args:
        parts = [_codec(a) for a in args]
        return ((lambda v: [to(x) for (to, _), x in zip(parts, _exactly(v, tuple, len(parts)))]),
                (lambda v: tuple(x if back is None else back(x) for (_, back), x in zip(parts, _sized(v, len(parts))))))
    if hint is dt.date:
        return (lambda v: _exactly(v, dt.date).isoformat()), iso_date
    if hint in TYPES:
        return _class(hint)
    raise TypeError(f"the build cache cannot store values of type {hint!r}")


def _exactly(value: Any, kind: type, size: Optional[int] = None) -> Any:
    if type(value) is not kind or (size is not None and len(value) != size):
        raise CodecError(f"{type(value).__name__} where the cache stores {kind.__name__}")
    return value


def _sized(value: Any, size: int) -> list:
    if type(value) is not list or len(value) != size:
        raise CodecError("stored data is not of the shape asked for")
    return value


_CLASSES: dict[type, tuple[Callable, Callable]] = {}


def _class(cls: type) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if cls in _CLASSES:
        return _CLASSES[cls]
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    hints = typing.get_type_hints(cls)
    fields: list[tuple[str, Callable, Convert]] = []

    def to(value: Any) -> list:
        _exactly(value, cls)
        return [encode(getattr(value, name)) for name, encode, _ in fields]

    converted: list[tuple[int, Callable]] = []  # (position, decode) of the fields stored otherwise than held

    def back(data: Any) -> Any:
        # The list is json.loads' own: its values are replaced where they stand, and only where a field needs
        # it (a long history reads hundreds of thousands of these; most fields are None or as stored).
        if type(data) is not list or len(data) != len(fields):
            raise CodecError("stored data is not of the shape asked for")
        for i, decode in converted:
            v = data[i]
            if v is not None:
                data[i] = decode(v)
        return make(data)

    make = _maker(cls, names)
    _CLASSES[cls] = (to, back)  # before the fields: a class may hold itself
    fields.extend((name, *_codec(hints[name])) for name in names)
    for i, name in enumerate(names):  # None is left as it is above: an Optional field decodes as its type
        decode = _codec(_optional_of(hints[name]) or hints[name])[1]
        if decode is not None:
            converted.append((i, decode))
    return to, back


def _maker(cls: type, names: list[str]) -> Callable[[list], Any]:
    """A function making an instance of `cls` from its fields' values in order. A frozen dataclass's
    __init__ sets each field through object.__setattr__, which was most of reading a long history back; a
    class whose __init__ does no more than that (no __post_init__, every field an init field) has its fields
    set directly, as __init__ would leave them, and any other is made by its __init__."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or hasattr(cls, "__post_init__") or \
            len(names) != len(dataclasses.fields(cls)):
        return lambda data: cls(*data)
    new = object.__new__
    if "__slots__" in cls.__dict__:
        setters = [cls.__dict__[name].__set__ for name in names]  # the slots' member descriptors

        def make(data: list) -> Any:
            obj = new(cls)
            for put, value in zip(setters, data):
                put(obj, value)
            return obj
    else:
        def make(data: list) -> Any:
            obj = new(cls)
            obj.__dict__.update(zip(names, data))
            return obj
    return make


def _optional_of(hint: Any) -> Any:
    """X for Optional[X], else None."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        return next(a for a in args if a is not type(None))
    return None


class Shape:
    """The type of what one kind of cache entry holds, e.g. Shape(tuple[Release, tuple[Problem, ...]])."""

    def __init__(self, hint: Any):
        self._to, back = _codec(hint)
        self._back = back or (lambda v: v)

    def dumps(self, value: Any) -> str:
        """JSON text of `value`; CodecError when it is not of this shape."""
        try:
            return json.dumps(self._to(value), ensure_ascii=False, separators=(",", ":"))
        except (RecursionError, ValueError, TypeError, AttributeError) as exc:
            raise CodecError(str(exc)) from None

    def loads(self, text: str) -> Any:
        """The value `dumps` gave `text` for; CodecError when the text is not of this shape."""
        try:
            return self._back(json.loads(text))
        except CodecError:
            raise
        except (ValueError, TypeError, RecursionError) as exc:  # bad JSON or date, or a class refusing a field
            raise CodecError(str(exc)) from None


# A results file as loaded: the release (None when it did not load) and its problems.
LOADED = Shape(tuple[Optional[Release], tuple[Problem, ...]])
