"""JSON encoding of the sandbox's records (:mod:`okta_sandbox.models`) for the state file.

Dataclasses become objects of their fields; datetimes ISO 8601 strings; sets and frozensets
sorted lists; tuples lists. Decoding reads each field's annotation to rebuild the Python types.
Cached, derived fields (``UserRecord.list_json``) are left out and rebuilt on demand.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, TypeVar

from okta_sandbox.models import UserRecord

T = TypeVar("T")
_SKIPPED = frozenset({"list_json", "state_json"})


class StateFileError(ValueError):
    """The state file cannot be read as a sandbox state."""


def encode(value: Any) -> Any:
    """``value`` as JSON-able data (see the module docstring)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: encode(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name not in _SKIPPED
        }
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(encode(item) for item in value)
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    return value


def decode(cls: type[T], data: Any) -> T:
    """A ``cls`` dataclass from :func:`encode`'s output; :class:`StateFileError` if it does not fit."""
    if not isinstance(data, dict):
        raise StateFileError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = _hints(cls)
    names = {field.name for field in dataclasses.fields(cls) if field.name not in _SKIPPED}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise StateFileError(f"{cls.__name__}: unknown fields {sorted(unknown)}")
    try:
        return cls(**{name: _convert(hints[name], value) for name, value in data.items()})
    except (TypeError, ValueError) as exc:
        raise StateFileError(f"{cls.__name__}: {exc}") from exc


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _convert(annotation: Any, value: Any) -> Any:
    """``value`` as the type ``annotation`` names (datetimes, sets, tuples; ``X | None``)."""
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if annotation is datetime:
        return datetime.fromisoformat(value)
    if origin in (frozenset, set, tuple, list):
        items = typing.get_args(annotation)
        item_type = items[0] if items else Any
        return origin(_convert(item_type, item) for item in value)
    return value


_USER_TIMES = ("created", "activated", "status_changed", "last_login", "last_updated", "password_changed")


def encode_user(user: UserRecord) -> dict[str, Any]:
    """A user for the state file: :func:`encode`'s format, built directly (100,000 users stay fast)."""
    data: dict[str, Any] = {"id": user.id, "status": user.status}
    for name in _USER_TIMES:
        moment = getattr(user, name)
        data[name] = moment.isoformat() if moment is not None else None
    data["type_id"] = user.type_id
    data["profile"] = dict(user.profile)
    data["password"] = user.password
    if user.transitioning_to_status is not None:
        data["transitioning_to_status"] = user.transitioning_to_status
    return data


def decode_user(data: dict[str, Any]) -> UserRecord:
    """:func:`encode_user`'s inverse (:class:`StateFileError` if a field is missing or wrong)."""
    try:
        times = {name: _moment(data[name]) for name in _USER_TIMES}
        return UserRecord(
            id=str(data["id"]),
            status=str(data["status"]),
            type_id=str(data["type_id"]),
            profile=dict(data["profile"]),
            password=str(data["password"]),
            transitioning_to_status=_optional_str(data.get("transitioning_to_status")),
            **times,  # type: ignore[arg-type]
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFileError(f"UserRecord: {type(exc).__name__}: {exc}") from exc


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _optional_str(value: Any) -> str | None:
    return str(value) if value is not None else None
