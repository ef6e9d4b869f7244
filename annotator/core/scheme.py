"""The label scheme (entity and stance labels, model label mapping) and stance targets.

A scheme is read from TOML or JSON (see ``resources/scheme.toml`` for the documented
format), validated here with coded errors, and stored in the project database so a
project file carries its own scheme.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, Errors

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    layer: str
    colour: str
    hotkey: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Scheme:
    entity_labels: tuple[Label, ...]
    stance_labels: tuple[Label, ...]
    model_labels: dict[str, str | None] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    #: layer -> (the label tuple the set was built from, its names): rebuilt when
    #: the layer's labels are no longer that tuple.
    _name_sets: dict[str, tuple[tuple[Label, ...], frozenset[str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def labels(self, layer: str) -> tuple[Label, ...]:
        return self.entity_labels if layer == "entity" else self.stance_labels

    def label(self, layer: str, name: str) -> Label | None:
        return next((lab for lab in self.labels(layer) if lab.name == name), None)

    def label_names(self, layer: str) -> list[str]:
        return [lab.name for lab in self.labels(layer)]

    def label_set(self, layer: str) -> frozenset[str]:
        """The label names of ``layer`` as a set, for membership tests in loops
        (built once per label tuple, not per call)."""
        labels = self.labels(layer)
        cached = self._name_sets.get(layer)
        if cached is None or cached[0] is not labels:
            cached = (labels, frozenset(lab.name for lab in labels))
            self._name_sets[layer] = cached
        return cached[1]

    def target_names(self) -> list[str]:
        return [t.name for t in self.targets]

    def map_model_label(self, model_label: str) -> str | None:
        """Project label for a pipeline's label, or None when the scheme drops it.

        A label the mapping does not mention maps to itself when the project has
        such an entity label, and is dropped otherwise.
        """
        if model_label in self.model_labels:
            return self.model_labels[model_label] or None
        return model_label if self.label("entity", model_label) else None


_TOO_DEEP = "it nests arrays or tables too deeply to read (a scheme is at most a few levels deep)"


def read_scheme_file(path: str | Path) -> dict[str, Any]:
    """Parse a TOML or JSON scheme/targets file into a dict (no validation)."""
    path = Path(path)
    if not path.exists():
        raise AnnotatorError(Errors.E213, path=path)
    raw = path.read_bytes()
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise AnnotatorError(Errors.E103, path=path, line=line, kind="JSON", reason=str(exc)) from None
        except RecursionError:
            raise AnnotatorError(Errors.E103, path=path, kind="JSON", reason=_TOO_DEEP) from None
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AnnotatorError(Errors.E103, path=path, kind="TOML", reason=str(exc)) from None
        except RecursionError:
            raise AnnotatorError(Errors.E103, path=path, kind="TOML", reason=_TOO_DEEP) from None
    if not isinstance(data, dict):
        raise AnnotatorError(Errors.E101, path=path, reason="the top level must be a table/object")
    return data


def parse_labels(data: dict[str, Any], *, path: str | Path | None = None) -> tuple[tuple[Label, ...], tuple[Label, ...], dict[str, str | None]]:
    """Validate the ``entity``, ``stance`` and ``model_labels`` parts of a scheme."""

    def bad(reason: str) -> AnnotatorError:
        return AnnotatorError(Errors.E101, path=path, reason=reason)

    layers: dict[str, list[Label]] = {"entity": [], "stance": []}
    hotkeys: dict[str, str] = {}
    for layer in ("entity", "stance"):
        entries = data.get(layer, [])
        if not isinstance(entries, list) or (layer == "entity" and not entries):
            raise bad(f"'{layer}' must be a non-empty list of labels" if layer == "entity" else "'stance' must be a list of labels")
        seen: set[str] = set()
        for i, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise bad(f"{layer} label {i} must be a table with name, colour and hotkey")
            name = entry.get("name")
            if not isinstance(name, str) or not _NAME.match(name):
                raise bad(f"{layer} label {i}: name {name!r} must start with a letter and hold only letters, digits, '_' or '-'")
            if name in seen:
                raise bad(f"{layer} label {name} is declared twice")
            seen.add(name)
            colour = entry.get("colour", entry.get("color"))
            if not isinstance(colour, str) or not _COLOUR.match(colour):
                raise bad(f"{layer} label {name}: colour {colour!r} must look like #1f77b4")
            hotkey = entry.get("hotkey")
            if hotkey is not None:
                if not isinstance(hotkey, str) or not hotkey.strip():
                    raise bad(f"{layer} label {name}: hotkey {hotkey!r} must be a key such as '1' or 'Ctrl+1'")
                if hotkey in hotkeys:
                    raise bad(f"{layer} label {name}: hotkey {hotkey!r} is already used by {hotkeys[hotkey]}")
                hotkeys[hotkey] = name
            description = entry.get("description", "")
            if not isinstance(description, str):
                raise bad(f"{layer} label {name}: description must be text")
            layers[layer].append(Label(name, layer, colour.lower(), hotkey, description))
    mapping_raw = data.get("model_labels", {})
    if not isinstance(mapping_raw, dict):
        raise bad("'model_labels' must be a table of MODEL_LABEL = \"PROJECT_LABEL\" (or \"\" to drop)")
    entity_names = {lab.name for lab in layers["entity"]}
    mapping: dict[str, str | None] = {}
    for model_label, project_label in mapping_raw.items():
        if project_label in ("", None):
            mapping[model_label] = None
        elif isinstance(project_label, str) and project_label in entity_names:
            mapping[model_label] = project_label
        else:
            raise bad(f"model label {model_label} maps to {project_label!r}, which is not an entity label of the scheme")
    return tuple(layers["entity"]), tuple(layers["stance"]), mapping


def parse_targets(data: dict[str, Any], *, path: str | Path | None = None) -> tuple[Target, ...]:
    """Validate a ``[[target]]`` list."""

    def bad(reason: str) -> AnnotatorError:
        return AnnotatorError(Errors.E102, path=path, reason=reason)

    entries = data.get("target", data.get("targets", []))
    if not isinstance(entries, list):
        raise bad("'target' must be a list of tables with name, keywords and aliases")
    targets: list[Target] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise bad(f"target {i} must be a table")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad(f"target {i} needs a non-empty name")
        if name in seen:
            raise bad(f"target {name!r} is declared twice")
        seen.add(name)
        lists = {}
        for key in ("keywords", "aliases"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise bad(f"target {name!r}: {key} must be a list of non-empty strings")
            lists[key] = tuple(v.strip() for v in value)
        if not lists["keywords"] and not lists["aliases"]:
            raise bad(f"target {name!r} needs at least one keyword or alias so suggestions can find it")
        targets.append(Target(name.strip(), lists["keywords"], lists["aliases"], str(entry.get("description", ""))))
    return tuple(targets)


def scheme_from_files(labels_path: str | Path, targets_path: str | Path) -> Scheme:
    labels_data = read_scheme_file(labels_path)
    entity, stance, mapping = parse_labels(labels_data, path=labels_path)
    targets = parse_targets(read_scheme_file(targets_path), path=targets_path)
    return Scheme(entity, stance, mapping, targets)
