"""The OpenAPI paths of the routes that answer files: Excel workbooks, PDFs and seal images.

Kept apart from openapi.py so each module stays readable; document() merges these paths in.
"""

from __future__ import annotations

from typing import Any

from gateway.domain.self_print import REASON_TEXT
from gateway.services.printing import ALL_KINDS, BATCH_LIMIT
from gateway.web.openapi_kit import (
    BAD_REQUEST,
    INT_ID,
    NOT_FOUND,
    UNAUTHORIZED,
    json_body,
    nullable,
    path_param,
    problem,
    query_param,
    ref,
)

SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE64 = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
BINARY = {"type": "string", "format": "binary"}
CERT_NO = path_param("cert_no", {"type": "string", "pattern": "^[A-Za-z0-9-]{1,40}$"}, "certificate number (证书号)")
REFUSED = {"422": problem("Refused by the self-print or printing rules; `errors` gives each rule id and field")}
TOO_LARGE = {"413": problem("Body larger than the configured limit")}


def _file(mimetypes: list[str], description: str) -> dict[str, Any]:
    return {"description": description, "content": {t: {"schema": BINARY} for t in mimetypes}}


STAMP_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 100}, "seal_type": {"type": "string", "maxLength": 40},
    "shape": {"type": "string", "maxLength": 40}, "width_mm": {"type": ["string", "number"]},
    "height_mm": {"type": ["string", "number"]}, "valid_from": {"type": "string", "format": "date"},
    "valid_to": {"type": "string", "format": "date"}, "holder_name": {"type": "string", "maxLength": 100},
    "holder_id_no": {"type": "string", "maxLength": 40}, "remark": {"type": "string", "maxLength": 500},
}

SCHEMAS: dict[str, Any] = {
    "Stamp": {
        "type": "object", "required": ["id", "kind", "name", "enabled", "is_default", "width_mm", "height_mm"],
        "properties": {**{k: {"type": "string"} for k in ("kind", "name", "seal_type", "shape", "width_mm",
                                                         "height_mm", "holder_name", "holder_id_no", "remark",
                                                         "image_format", "image_sha256", "enterprise_id",
                                                         "created_at")},
                       "id": {"type": "integer"}, "enabled": {"type": "boolean"}, "is_default": {"type": "boolean"},
                       "valid_from": nullable("string"), "valid_to": nullable("string")},
    },
    "StampRequest": {
        "description": "印章制作 / 签名制作. A signature needs holder_name and holder_id_no (a resident ID number "
                       "with a correct check character). The image is a PNG or JPEG scan within the manual's size "
                       "limits, decoded before it is kept; every rule is checked before anything is stored.",
        "type": "object", "required": ["image_base64"],
        "properties": {**STAMP_FIELDS, "image_base64": {"type": "string", "contentEncoding": "base64", "minLength": 4,
                                                     "pattern": BASE64}},
    },
    "PrintView": {
        "type": "object", "required": ["cert_no", "cert_type", "self_print", "print_status"],
        "properties": {"cert_no": {"type": "string"}, "cert_type": {"type": "string"},
                       "self_print": {"type": "boolean"}, "document_status": nullable("string"),
                       "layout_status": nullable("string"), "print_status": {"type": "string"},
                       "originals": {"type": "integer"}, "copies": {"type": "integer"},
                       "issue_date": nullable("string"), "events": {"type": "array"},
                       "exceptions": {"type": "array"},
                       "available": {
                           "type": "object", "description": "What may be done now: each kind of print (certificate, "
                           "application, invoice, slip, original, copy) and action (archive, print_exception) → "
                           "allowed, or the first rule that refuses it (the reason the UI shows next to its button)",
                           "additionalProperties": {"type": "object", "required": ["allowed", "problem"],
                                                    "properties": {"allowed": {"type": "boolean"},
                                                                   "problem": nullable("object")}}}},
    },
}


def _stamp_paths(collection: str, label: str) -> dict[str, Any]:
    stamp_id = path_param("stamp_id", INT_ID, f"{label} id")
    tag = collection.capitalize()
    return {
        f"/api/v1/{collection}": {
            "get": {"operationId": f"list{tag}", "summary": f"The enterprise's {collection}",
                    "responses": {"200": json_body({"type": "object", "required": [collection], "properties": {
                        collection: {"type": "array", "items": ref("Stamp")}}}, f"All {collection}"),
                        **UNAUTHORIZED}},
            "post": {"operationId": f"add{tag[:-1]}", "summary": f"Upload a {label}",
                     "requestBody": {"required": True,
                                     "content": {"application/json": {"schema": ref("StampRequest")}}},
                     "responses": {"201": json_body(ref("Stamp"), "Stored"), **BAD_REQUEST, **UNAUTHORIZED,
                                   **TOO_LARGE, **REFUSED}}},
        f"/api/v1/{collection}/{{stamp_id}}": {
            "get": {"operationId": f"get{tag[:-1]}", "summary": f"One {label}", "parameters": [stamp_id],
                    "responses": {"200": json_body(ref("Stamp"), "The record"), **UNAUTHORIZED, **NOT_FOUND}},
            "patch": {"operationId": f"update{tag[:-1]}", "summary": "Enable, disable or make default",
                      "parameters": [stamp_id],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": {
                          "type": "object", "properties": {"enabled": {"type": "boolean"},
                                                           "is_default": {"type": "boolean"}}}}}},
                      "responses": {"200": json_body(ref("Stamp"), "Changed"), **BAD_REQUEST, **UNAUTHORIZED,
                                    **NOT_FOUND, **REFUSED}},
            "delete": {"operationId": f"delete{tag[:-1]}", "summary": "Delete (only when disabled)",
                       "parameters": [stamp_id],
                       "responses": {"204": {"description": "Deleted"}, **UNAUTHORIZED, **NOT_FOUND, **REFUSED}}},
        f"/api/v1/{collection}/{{stamp_id}}/image": {"get": {
            "operationId": f"get{tag[:-1]}Image", "summary": "The scan as stored", "parameters": [stamp_id],
            "responses": {"200": _file(["image/png", "image/jpeg"], "The image"), **UNAUTHORIZED, **NOT_FOUND}}},
    }


def paths() -> dict[str, Any]:
    kind = query_param("kind", {"enum": list(ALL_KINDS)}, "certificate (default), application, invoice, slip, "
                       "original (self-print, once) or copy")
    hyphenate = query_param("hyphenate", {"enum": ["true", "false", "1", "0"]}, "hyphen where a word wraps")
    out: dict[str, Any] = {
        "/api/v1/templates/goods.xlsx": {"get": {
            "operationId": "getGoodsTemplate", "summary": "The goods template (货物清单模板)",
            "responses": {"200": _file([XLSX], "The workbook"), **UNAUTHORIZED}}},
        "/api/v1/goods/import": {"post": {
            "operationId": "importGoods", "summary": "Read goods lines from a filled-in template",
            "requestBody": {"required": True, "content": {XLSX: {"schema": BINARY}, "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": BINARY}}}}},
            "responses": {"200": json_body({"type": "object", "required": ["goods", "count"], "properties": {
                "goods": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}}},
                "The goods lines"), **BAD_REQUEST, **UNAUTHORIZED, **TOO_LARGE,
                "422": problem("Not a workbook, or cells break the rules: each error gives row, column and the "
                               "Chinese header")}}},
        "/api/v1/certificates.xlsx": {"get": {
            "operationId": "getCertificateList", "summary": "Certificates created within the last month",
            "responses": {"200": _file([XLSX], "The workbook"), **UNAUTHORIZED}}},
        "/api/v1/statistics.xlsx": {"get": {
            "operationId": "getStatistics", "summary": "Statistics by type, principal, clerk and user",
            "parameters": [query_param("from", {"type": "string", "format": "date"}, "first day (default 1 Jan)"),
                           query_param("to", {"type": "string", "format": "date"}, "last day (default today)")],
            "responses": {"200": _file([XLSX], "The workbook"),
                          "400": problem("Not a date, from after to, or a period over three years"),
                          **UNAUTHORIZED}}},
        "/api/v1/certificates/{cert_no}/pdf": {"get": {
            "operationId": "getCertificatePdf", "summary": "One print of a certificate as PDF",
            "parameters": [CERT_NO, kind, hyphenate],
            "responses": {"200": _file(["application/pdf"], "The PDF"), **UNAUTHORIZED, **NOT_FOUND,
                          **REFUSED}}},
        "/api/v1/certificates/{cert_no}/print": {"get": {
            "operationId": "getPrintState", "summary": "Self-print state, counts, events and exceptions",
            "parameters": [CERT_NO],
            "responses": {"200": json_body(ref("PrintView"), "The print record"), **UNAUTHORIZED, **NOT_FOUND}}},
        "/api/v1/certificates/{cert_no}/print-exceptions": {"post": {
            "operationId": "requestPrintException", "summary": "打印异常申请: reprint or a new layout",
            "parameters": [CERT_NO],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"], "properties": {
                    "reason": {"enum": list(REASON_TEXT)}, "detail": {"type": "string", "maxLength": 500}}}}}},
            "responses": {"201": json_body({"type": "object", "required": ["document_no", "reason", "action"]},
                                           "Sent to customs"),
                          **BAD_REQUEST, **UNAUTHORIZED, **NOT_FOUND, **REFUSED}}},
        "/api/v1/certificates/{cert_no}/archive": {"post": {
            "operationId": "archivePrint", "summary": "Printed → archived (归档)", "parameters": [CERT_NO],
            "responses": {"200": json_body({"type": "object", "required": ["cert_no", "print_status"]}, "Archived"),
                          **UNAUTHORIZED, **NOT_FOUND, **REFUSED}}},
        "/api/v1/prints/batch": {"post": {
            "operationId": "printBatch", "summary": "Many prints as one zip or one merged PDF",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "minItems": 1, "maxItems": BATCH_LIMIT, "items": {
                        "type": "object", "required": ["cert_no"], "properties": {
                            "cert_no": {"type": "string"}, "kind": {"enum": list(ALL_KINDS)}}}},
                    "format": {"enum": ["zip", "pdf"]}, "hyphenate": {"type": "boolean"}}}}}},
            "responses": {"200": _file(["application/zip", "application/pdf"], "The batch"), **BAD_REQUEST,
                          **UNAUTHORIZED, **NOT_FOUND, **REFUSED}}},
        "/api/v1/seal-authorisations": {"post": {
            "operationId": "authoriseSeals", "summary": "印章签名授权: default seal and signature to customs",
            "responses": {"202": json_body({"type": "object", "required": ["outcome", "message_id"]}, "Queued"),
                          **UNAUTHORIZED, **NOT_FOUND, **REFUSED}}},
        "/api/v1/agent-print-authorisations": {"get": {
            "operationId": "listAgentPrintGrants", "summary": "Agents allowed to print this enterprise's certificates",
            "responses": {"200": json_body({"type": "object", "required": ["agents"], "properties": {
                "agents": {"type": "array", "items": {"type": "object"}}}}, "The grants"), **UNAUTHORIZED}}},
        "/api/v1/agent-print-authorisations/{org_code}": {"put": {
            "operationId": "grantAgentPrint", "summary": "Authorise or withdraw an agent (代理打印授权)",
            "parameters": [path_param("org_code", {"type": "string", "pattern": "^[0-9A-Z]{1,18}$"},
                                      "the agent's organisation code")],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["agent_name", "authorised"], "properties": {
                    "agent_name": {"type": "string", "maxLength": 100}, "authorised": {"type": "boolean"}}}}}},
            "responses": {"202": json_body({"type": "object", "required": ["agent_org_code", "authorised"]},
                                           "Queued to customs"),
                          **BAD_REQUEST, **UNAUTHORIZED, **NOT_FOUND, **REFUSED}}},
    }
    out.update(_stamp_paths("seals", "seal"))
    out.update(_stamp_paths("signatures", "signature"))
    for operations in out.values():
        for operation in operations.values():
            operation["security"] = SECURED
    return out
