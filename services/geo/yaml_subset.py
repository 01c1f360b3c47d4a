"""Reader for the small subset of YAML that the data files of this package use.

services/geo must run on the standard library alone, so instead of PyYAML it reads only what
regions.yaml needs: block mappings, block lists of scalars, single-line flow lists ``[a, b]``,
plain or quoted single-line scalars and ``#`` comments. Everything else (anchors, tags,
multi-line scalars, flow mappings, plain scalars that YAML would read as a number, date or
boolean) is rejected with the line number, so a file edited beyond the subset fails loudly
instead of being misread.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Plain scalars that a YAML 1.1 loader resolves to something other than a string. Refusing
# them keeps this reader and PyYAML in agreement on every file this reader accepts.
_TYPED_PLAIN_SCALAR = re.compile(
    r"""^(?:
        ~|null|true|false|yes|no|on|off|y|n
        |[-+]?(?:\d[\d_]*)?\.?\d[\d_]*(?:e[-+]?\d+)?
        |[-+]?\.(?:inf|nan)
        |0x[0-9a-f_]+|0o?[0-7_]+
        |\d{4}-\d{1,2}-\d{1,2}(?:[tT ].*)?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_UNSUPPORTED_STARTS = ("&", "*", "!", "|", ">", "%", "@", "`", "{")


class YamlSubsetError(ValueError):
    """The text is not in the supported subset; the message names the line."""


@dataclass(frozen=True)
class _Line:
    number: int
    indent: int
    text: str


def parse(text: str) -> dict[str, object]:
    """Parse ``text`` into nested dicts, lists and strings; the top level must be a mapping."""
    lines = _significant_lines(text)
    if not lines:
        return {}
    value, end = _block(lines, 0, lines[0].indent)
    if end != len(lines):
        raise YamlSubsetError(f"line {lines[end].number}: unexpected indentation")
    if not isinstance(value, dict):
        raise YamlSubsetError("the top level must be a mapping")
    return value


def _significant_lines(text: str) -> list[_Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        content = _strip_comment(raw).rstrip()
        if not content.strip():
            continue
        stripped = content.lstrip(" ")
        if stripped.startswith("\t"):
            raise YamlSubsetError(f"line {number}: indent with spaces, not tabs")
        lines.append(_Line(number, len(content) - len(stripped), stripped))
    return lines


def _strip_comment(raw: str) -> str:
    quote = ""
    for index, char in enumerate(raw):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'" and (index == 0 or raw[index - 1] in " \t[,:-"):
            quote = char
        elif char == "#" and (index == 0 or raw[index - 1] in " \t"):
            return raw[:index]
    return raw


def _block(lines: list[_Line], start: int, indent: int) -> tuple[object, int]:
    if _is_list_item(lines[start].text):
        return _list_block(lines, start, indent)
    return _mapping_block(lines, start, indent)


def _is_list_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _mapping_block(lines: list[_Line], start: int, indent: int) -> tuple[dict[str, object], int]:
    mapping: dict[str, object] = {}
    index = start
    while index < len(lines) and lines[index].indent == indent:
        line = lines[index]
        if _is_list_item(line.text):
            raise YamlSubsetError(f"line {line.number}: list item where a key was expected")
        key, rest = _split_key(line)
        if key in mapping:
            raise YamlSubsetError(f"line {line.number}: duplicate key {key!r}")
        index += 1
        nested = index < len(lines) and lines[index].indent > indent
        if rest:
            if nested:
                raise YamlSubsetError(f"line {lines[index].number}: unexpected indentation")
            mapping[key] = _value(rest, line.number)
        elif nested:
            mapping[key], index = _block(lines, index, lines[index].indent)
        else:
            mapping[key] = None
    return mapping, index


def _list_block(lines: list[_Line], start: int, indent: int) -> tuple[list[object], int]:
    items: list[object] = []
    index = start
    while index < len(lines) and lines[index].indent == indent:
        line = lines[index]
        if not _is_list_item(line.text):
            raise YamlSubsetError(f"line {line.number}: key where a list item was expected")
        item = line.text[1:].strip()
        if not item or item.endswith(":") or ": " in item:
            raise YamlSubsetError(f"line {line.number}: only scalars are supported in lists")
        items.append(_value(item, line.number))
        index += 1
        if index < len(lines) and lines[index].indent > indent:
            raise YamlSubsetError(f"line {lines[index].number}: unexpected indentation")
    return items, index


def _split_key(line: _Line) -> tuple[str, str]:
    if line.text.endswith(":"):
        key, rest = line.text[:-1], ""
    elif ": " in line.text:
        key, rest = line.text.split(": ", 1)
    else:
        raise YamlSubsetError(f"line {line.number}: expected 'key: value'")
    key = key.strip()
    if not key or key[0] in "\"'[{" or key.startswith(_UNSUPPORTED_STARTS):
        raise YamlSubsetError(f"line {line.number}: unsupported key {key!r}")
    return key, rest.strip()


def _value(text: str, number: int) -> object:
    if text.startswith("["):
        if not text.endswith("]"):
            raise YamlSubsetError(f"line {number}: a [list] must close on the same line")
        inner = text[1:-1].strip()
        if not inner:
            return []
        parts = [part.strip() for part in inner.split(",")]
        if any(not part for part in parts):
            raise YamlSubsetError(f"line {number}: empty item in [list]")
        return [_scalar(part, number) for part in parts]
    return _scalar(text, number)


def _scalar(text: str, number: int) -> str:
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise YamlSubsetError(f"line {number}: unterminated double-quoted string")
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise YamlSubsetError(f"line {number}: unsupported escape in string") from error
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise YamlSubsetError(f"line {number}: unterminated single-quoted string")
        return text[1:-1].replace("''", "'")
    if text.startswith(_UNSUPPORTED_STARTS) or "[" in text or "]" in text:
        raise YamlSubsetError(f"line {number}: unsupported YAML construct {text!r}")
    if _TYPED_PLAIN_SCALAR.match(text):
        raise YamlSubsetError(f"line {number}: quote {text!r} so it stays a string")
    return text
