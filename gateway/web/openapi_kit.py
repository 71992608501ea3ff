"""Building blocks of the OpenAPI document: references, JSON bodies, problems, parameters."""

from __future__ import annotations

from typing import Any

MAX_INT = 2**31 - 1  # ids and cursors are SQL INTEGER columns (SQLite and PostgreSQL alike)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def problem(description: str) -> dict[str, Any]:
    return json_body(ref("Problem"), description)


UNAUTHORIZED = {"401": {**problem("Missing, malformed, unknown or revoked API key"),
                        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}}}
NOT_FOUND = {"404": problem("No such object for this enterprise (another enterprise's objects answer 404 too)")}
BAD_REQUEST = {"400": problem("The request is malformed; `title` says which field and rule")}
INT_ID = {"type": "integer", "minimum": 0, "maximum": MAX_INT}


def path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def query_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"
