"""ERP API for printing and self-print: PDFs per certificate and kind, batch downloads, seals and
signatures, authorisation to customs, agent print authorisation, print exceptions.

Scoped to the API key's enterprise like every /api/v1 route: another enterprise's certificate or seal
answers 404.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from gateway.domain.self_print import REASON_TEXT
from gateway.pdf import PdfError
from gateway.services import printing
from gateway.services import self_print as sp
from gateway.services.errors import NotFound
from gateway.services.print_ports import StampRecord
from gateway.web.api import _container, _problem, require_api_key

prints_api = Blueprint("prints_api", __name__, url_prefix="/api/v1")

STAMP_ID = "/<int:stamp_id>"
STAMP_KINDS = {"seals": "SEAL", "signatures": "SIGNATURE"}


def _answers_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except NotFound as exc:
            return _problem(404, str(exc))
        except sp.SelfPrintRefused as exc:
            return _problem(422, "refused by the self-print rules", errors=[p.as_dict() for p in exc.problems])
        except PdfError as exc:
            return _problem(500, f"the PDF could not be rendered: {exc}")

    return wrapper


def _json_object() -> dict[str, Any]:
    """The JSON body when it is an object; anything else reads as empty, so the field checks answer 400."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")


def _pdf(content: bytes, filename: str, mimetype: str = "application/pdf") -> Response:
    resp = Response(content, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"  # originals are one-time prints
    return resp


@prints_api.get("/certificates/<cert_no>/pdf")
@require_api_key
@_answers_errors
def get_certificate_pdf(cert_no: str) -> Any:
    kind = request.args.get("kind", "certificate")
    printed = printing.print_document(_container().self_print, g.enterprise_id, cert_no, kind,
                                      hyphenate=_flag("hyphenate"), actor=f"api:{g.enterprise_id}")
    return _pdf(printed.content, printed.filename)


@prints_api.get("/certificates/<cert_no>/print")
@require_api_key
@_answers_errors
def get_print_state(cert_no: str) -> Any:
    return jsonify(printing.print_view(_container().self_print, g.enterprise_id, cert_no))


@prints_api.post("/certificates/<cert_no>/print-exceptions")
@require_api_key
@_answers_errors
def post_print_exception(cert_no: str) -> Any:
    body = _json_object()
    reason, detail = body.get("reason"), body.get("detail", "")
    if not isinstance(reason, str) or not isinstance(detail, str):
        return _problem(400, 'send JSON {"reason": "PAPER_JAM", "detail": "…"}; reasons: '
                        + ", ".join(REASON_TEXT))
    result = printing.request_exception(_container().self_print, g.enterprise_id, cert_no, reason, detail,
                                        actor=f"api:{g.enterprise_id}")
    return jsonify(result), 201


@prints_api.post("/certificates/<cert_no>/archive")
@require_api_key
@_answers_errors
def post_archive(cert_no: str) -> Any:
    record = printing.archive(_container().self_print, g.enterprise_id, cert_no, actor=f"api:{g.enterprise_id}")
    return jsonify({"cert_no": cert_no, "print_status": record.print_status})


@prints_api.post("/prints/batch")
@require_api_key
@_answers_errors
def post_batch() -> Any:
    body = _json_object()
    items, fmt = body.get("items"), body.get("format", "zip")
    if (not isinstance(items, list) or fmt not in ("zip", "pdf")
            or not all(isinstance(i, dict) and isinstance(i.get("cert_no"), str) for i in items)):
        return _problem(400, 'send JSON {"items": [{"cert_no": "…", "kind": "copy"}], "format": "zip" | "pdf"}')
    pairs = [(i["cert_no"], str(i.get("kind", "certificate"))) for i in items]
    content = printing.print_batch(_container().self_print, g.enterprise_id, pairs, as_zip=fmt == "zip",
                                   hyphenate=bool(body.get("hyphenate")), actor=f"api:{g.enterprise_id}")
    return _pdf(content, f"prints.{fmt}", "application/zip" if fmt == "zip" else "application/pdf")


# --- seals and signatures ---------------------------------------------------------------------------


def _stamp_json(stamp: StampRecord) -> dict[str, Any]:
    out = asdict(stamp)
    out["width_mm"], out["height_mm"] = str(stamp.width_mm), str(stamp.height_mm)
    out["valid_from"] = stamp.valid_from.isoformat() if stamp.valid_from else None
    out["valid_to"] = stamp.valid_to.isoformat() if stamp.valid_to else None
    out["created_at"] = stamp.created_at.isoformat()
    return out


def _kind(collection: str) -> str | None:
    return STAMP_KINDS.get(collection)


@require_api_key
def list_stamps(collection: str) -> Any:
    kind = _kind(collection)
    if kind is None:
        return _problem(404, f"no such collection {collection}")
    stamps = sp.stamps(_container().self_print, g.enterprise_id, kind)
    return jsonify({collection: [_stamp_json(s) for s in stamps]})


@require_api_key
@_answers_errors
def post_stamp(collection: str) -> Any:
    kind = _kind(collection)
    if kind is None:
        return _problem(404, f"no such collection {collection}")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("image_base64"), str):
        return _problem(400, "send JSON with the fields of the seal or signature and image_base64 (the scan)")
    try:
        image = base64.b64decode(body["image_base64"], validate=True)
    except (binascii.Error, ValueError):
        return _problem(400, "image_base64 is not valid base64")
    stamp = sp.add_stamp(_container().self_print, g.enterprise_id, kind, body, image)
    return jsonify(_stamp_json(stamp)), 201


@require_api_key
@_answers_errors
def get_stamp(collection: str, stamp_id: int) -> Any:
    return jsonify(_stamp_json(sp.stamp(_container().self_print, g.enterprise_id, STAMP_KINDS[collection], stamp_id)))


@require_api_key
@_answers_errors
def get_stamp_image(collection: str, stamp_id: int) -> Any:
    stamp, image = sp.stamp_image(_container().self_print, g.enterprise_id, STAMP_KINDS[collection], stamp_id)
    return Response(image, mimetype="image/png" if stamp.image_format == "PNG" else "image/jpeg")


@require_api_key
@_answers_errors
def patch_stamp(collection: str, stamp_id: int) -> Any:
    body = _json_object()
    enabled, is_default = body.get("enabled"), body.get("is_default")
    if any(v is not None and not isinstance(v, bool) for v in (enabled, is_default)):
        return _problem(400, 'send JSON {"enabled": true|false, "is_default": true|false}')
    stamp = sp.update_stamp(_container().self_print, g.enterprise_id, stamp_id, kind=STAMP_KINDS[collection],
                            enabled=enabled, is_default=is_default)
    return jsonify(_stamp_json(stamp))


@require_api_key
@_answers_errors
def delete_stamp(collection: str, stamp_id: int) -> Any:
    sp.delete_stamp(_container().self_print, g.enterprise_id, stamp_id, kind=STAMP_KINDS[collection])
    return "", 204


# Seals and signatures share their views: /api/v1/seals/… and /api/v1/signatures/…
for _collection in STAMP_KINDS:
    for _rule, _view, _methods in (
        ("", list_stamps, ["GET"]), ("", post_stamp, ["POST"]), (STAMP_ID, get_stamp, ["GET"]),
        (f"{STAMP_ID}/image", get_stamp_image, ["GET"]), (STAMP_ID, patch_stamp, ["PATCH"]),
        (STAMP_ID, delete_stamp, ["DELETE"]),
    ):
        prints_api.add_url_rule(f"/{_collection}{_rule}", endpoint=f"{_view.__name__}_{_collection}",
                                view_func=_view, methods=_methods, defaults={"collection": _collection})


@prints_api.post("/seal-authorisations")
@require_api_key
@_answers_errors
def post_seal_authorisation() -> Any:
    """印章签名授权: the default seal and signature go to customs as a SealSignatureAuthorisation."""
    result = sp.authorise_to_customs(_container().self_print, g.enterprise_id, actor=f"api:{g.enterprise_id}")
    return jsonify({"outcome": result.outcome, "message_id": result.message_id,
                    "links": {"message": f"/api/v1/messages/{result.message_id}"}}), 202


@prints_api.get("/agent-print-authorisations")
@require_api_key
def list_agent_grants() -> Any:
    return jsonify({"agents": sp.agent_grants(_container().self_print, g.enterprise_id)})


@prints_api.put("/agent-print-authorisations/<org_code>")
@require_api_key
@_answers_errors
def put_agent_grant(org_code: str) -> Any:
    body = _json_object()
    name, authorised = body.get("agent_name"), body.get("authorised")
    if not isinstance(name, str) or not isinstance(authorised, bool):
        return _problem(400, 'send JSON {"agent_name": "…", "authorised": true|false}')
    result = sp.grant_agent(_container().self_print, g.enterprise_id, org_code, name, authorised,
                            actor=f"api:{g.enterprise_id}")
    return jsonify({"agent_org_code": org_code, "authorised": authorised, "message_id": result.message_id}), 202
