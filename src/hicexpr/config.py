"""Run configuration: YAML files validated with pydantic; CLI flags override YAML values.

Unknown keys are an error naming the key and the closest valid one. Each command has one
config model below; ``load_config(Model, path, overrides)`` resolves YAML + flags into it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from hicexpr.lib.errors import InputError, closest

M = TypeVar("M", bound="StrictModel")


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are rejected, values validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def load_config(
    model: type[M],
    path: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> M:
    """Build ``model`` from a YAML file (optional) updated with non-None ``overrides``.

    Raises:
        InputError: unreadable YAML, unknown key (with the closest valid one) or invalid value.
    """
    data: dict[str, Any] = _read_yaml(path) if path is not None else {}
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
    source = str(path) if path is not None else "config"
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _as_input_error(exc, model, source) from None


def _read_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(file, "", "a readable YAML file", exc.strerror) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise InputError(file, where, "valid YAML", getattr(exc, "problem", "parse error")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(file, "", "a YAML mapping of config keys", type(data).__name__)
    return data


def _as_input_error(exc: ValidationError, model: type[BaseModel], source: str) -> InputError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc)
    if err["type"] == "extra_forbidden":
        valid = _field_names(model, loc[:-1])
        hint = closest(loc[-1], valid)
        expected = f"one of the known keys (did you mean '{hint}'?)" if hint else "a known key"
        return InputError(source, f"unknown key '{field}'", expected)
    return InputError(source, f"field '{field}'", err["msg"].lower(), err.get("input"))


def _field_names(model: type[BaseModel], parents: list[str]) -> list[str]:
    current: Any = model
    for name in parents:
        field = getattr(current, "model_fields", {}).get(name)
        if field is None or not isinstance(field.annotation, type):
            return []
        current = field.annotation
    return list(getattr(current, "model_fields", {}))


# --- command configs -----------------------------------------------------------------------
# Each command adds its model below (one class per command, fields documented).
