"""Content problems reported as ``file:line: level: message (hint: ...)`` and the YAML
helpers that find those lines. Shared by every validator in both Python environments:
stdlib and PyYAML only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

import yaml


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    # error: must be fixed; warning: fails `--strict`; notice: a known, recorded gap (never fails)
    level: Literal["error", "warning", "notice"] = "error"
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.level}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


def node_line(root: yaml.Node | None, loc: Iterable) -> int:
    """Walk a composed YAML tree along a pydantic error location."""
    node = root
    line = (root.start_mark.line + 1) if root is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
            if nxt is None:
                # unknown (extra) keys: point at the key itself
                nxt_key = next((k for k, _ in node.value if k.value == key), None)
                if nxt_key is not None:
                    return nxt_key.start_mark.line + 1
                continue  # discriminator tags such as 'service' are not keys
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            continue
        line = node.start_mark.line + 1
    return line


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_yaml(path: Path, problems: list[Problem]):
    """(node tree, data) of a YAML file, or (None, None) with the problem recorded as
    file:line. libyaml's loader is used when present (much faster)."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.compose(text, Loader=loader), yaml.load(text, Loader=loader)
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, 1, f"not UTF-8 text: {exc}", hint="save the file as UTF-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(name, mark.line + 1 if mark else 1,
                                f"YAML syntax: {getattr(exc, 'problem', None) or exc}",
                                hint="check indentation and quote text containing ':'"))
    return None, None
