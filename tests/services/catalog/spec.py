"""The official OOAPI v5 specification (vendored in specs/, with its license), for validating
real responses. A clone of the repository has everything its tests need.

The spec the catalog is checked against (``for_course_offerings``) is the official one with
four additions: offering items checked as CourseOffering (see below), at least one item in
`sort` and `expand`, Leerwijzer's ``ext.provenance`` required on every course, offering and
organization, and an organization's optional ``ext.servesMunicipalities`` declared (a list of
CBS codes; docs/catalog.md). OOAPI's ``ext`` is an open object, so a served record that
satisfies the additions still satisfies the official spec."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parents[3] / "specs" / "ooapi-v5.yaml"
# The offering endpoints answer `oneOf: [ProgramOffering, CourseOffering, ComponentOffering]`,
# but the spec's ProgramOffering accepts every CourseOffering that has priceInformation (they
# differ only in minItems there), so no priced course offering can satisfy `oneOf`. We serve
# only course offerings, so conformance checks those items against CourseOffering itself:
# stricter than `anyOf`, and test_spec_offering_oneof_is_ambiguous keeps the reason honest.
OFFERING_ONE_OF_PATHS = (
    ("/offerings/{offeringId}", ()),
    ("/organizations/{organizationId}/offerings", ("allOf", 1, "properties", "items", "items")),
)
# Leerwijzer's ext.provenance (docs/catalog.md, services/catalog/schemas.py): where a record
# comes from. OpenAPI 3.0 has no null type; `nullable` says checkedOn may be null.
PROVENANCE = {
    "type": "object",
    "required": ["source", "checkedOn", "example"],
    "additionalProperties": False,
    "properties": {
        "source": {"type": "string", "minLength": 1},
        "checkedOn": {"type": "string", "format": "date", "nullable": True},
        "example": {"type": "boolean"},
    },
}
# Leerwijzer's ext.servesMunicipalities on an organization: the CBS codes of the municipalities
# it serves (a municipal or regional desk); optional, absent when it serves everyone.
SERVES_MUNICIPALITIES = {
    "type": "array",
    "minItems": 1,
    "uniqueItems": True,
    "items": {"type": "string", "pattern": "^GM[0-9]{4}$"},
}
_WITH_SERVICE_AREA = {
    "type": "object",
    "properties": {
        "ext": {
            "type": "object",
            "properties": {
                "servesMunicipalities": {
                    "$ref": "#/components/schemas/LeerwijzerServesMunicipalities"
                }
            },
        }
    },
}
_WITH_PROVENANCE = {
    "type": "object",
    "required": ["ext"],
    "properties": {
        "ext": {
            "type": "object",
            "required": ["provenance"],
            "properties": {"provenance": {"$ref": "#/components/schemas/LeerwijzerProvenance"}},
        }
    },
}


@lru_cache(maxsize=1)
def official() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def for_course_offerings() -> dict[str, Any]:
    """The official spec with the ambiguous offering `oneOf` narrowed to CourseOffering."""
    spec = copy.deepcopy(official())
    for path, at in OFFERING_ONE_OF_PATHS:
        schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        holder: Any = schema
        key: Any = "schema"
        for step in at:
            holder, key = holder[key], step
        target = holder[key]
        assert "oneOf" in target, f"spec changed at {path}: no oneOf to narrow"
        holder[key] = {"$ref": "#/components/schemas/CourseOffering"}
    _no_empty_lists(spec)
    _require_provenance(spec)
    _declare_service_area(spec)
    return spec


def _require_provenance(spec: dict[str, Any]) -> None:
    """Every Course, CourseOffering and Organization (also expanded ones) has ext.provenance."""
    schemas = spec["components"]["schemas"]
    schemas["LeerwijzerProvenance"] = copy.deepcopy(PROVENANCE)
    for name in ("Course", "CourseOffering", "Organization"):
        schema = schemas[name]
        if "allOf" in schema:
            schema["allOf"].append(copy.deepcopy(_WITH_PROVENANCE))
        else:
            schemas[name] = {"allOf": [schema, copy.deepcopy(_WITH_PROVENANCE)]}


def _declare_service_area(spec: dict[str, Any]) -> None:
    """Every Organization (also expanded ones) may have ext.servesMunicipalities: CBS codes."""
    schemas = spec["components"]["schemas"]
    schemas["LeerwijzerServesMunicipalities"] = copy.deepcopy(SERVES_MUNICIPALITIES)
    schemas["Organization"]["allOf"].append(copy.deepcopy(_WITH_SERVICE_AREA))


def _no_empty_lists(spec: dict[str, Any]) -> None:
    """`sort` and `expand` at least one item: on the wire (`explode: false`) the empty list and
    a list of one empty item are both `?expand=`, so a fuzzer sends it as valid and as invalid
    data alike. The catalog refuses it (400), like every other empty value; left open, the
    same request is sometimes expected to pass and sometimes to fail."""
    for item in spec["paths"].values():
        for parameter in (item.get("get") or {}).get("parameters") or []:
            if "$ref" in parameter:
                parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
            schema = parameter.get("schema") or {}
            if parameter.get("name") in ("sort", "expand") and schema.get("type") == "array":
                schema["minItems"] = 1


def response_schema(path: str, status: str = "200", spec: dict[str, Any] | None = None) -> dict:
    document = spec or for_course_offerings()
    response = document["paths"][path]["get"]["responses"][status]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response["content"]
    media = content.get("application/json") or content["application/problem+json"]
    return media["schema"]


def validate(body: Any, schema: dict, spec: dict[str, Any] | None = None) -> None:
    """Validate against a spec schema, resolving its $refs in the spec document."""
    document = spec or for_course_offerings()
    resolver = jsonschema.RefResolver.from_schema(document)
    validator = jsonschema.Draft4Validator(
        schema, resolver=resolver, format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        raise AssertionError(
            "; ".join(f"{list(e.path)} [{e.validator}]: {_short(e.message)}" for e in errors[:5])
        )


def validate_response(path: str, body: Any, status: str = "200") -> None:
    validate(body, response_schema(path, status))


def _short(message: str) -> str:
    return message if len(message) <= 400 else f"{message[:200]} ... {message[-200:]}"
