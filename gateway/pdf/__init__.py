"""ReportLab renderers: certificate data in, PDF bytes out (no database, no services).

``render_certificate`` picks the certificate's layout by type: the general CO form (C and the other
non-preferential types), Form E, RCEP, Form A (GSP), the Chinese cross-strait form (H) and the generic
preferential form for every other agreement. The application form, the commercial invoice and the
authentication slip have their own modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.pdf import (
    application_form,
    auth_slip,
    cross_strait,
    form_a,
    form_e,
    general_co,
    invoice,
    preferential,
    rcep,
)
from gateway.pdf.certificate import CertificateLayout, PrintOptions, Stamp
from gateway.pdf.certificate import render as render_layout
from gateway.pdf.errors import PdfError
from gateway.pdf.kit import field

__all__ = [
    "KINDS", "CertificateLayout", "PdfError", "PrintOptions", "Stamp", "layout_for", "render", "render_certificate",
]

#: What can be printed for a certificate (seed 001 ch. 4: 证书, 申请书, 发票, 认证凭条).
KINDS = ("certificate", "application", "invoice", "slip")

NON_PREFERENTIAL = frozenset(general_co.TITLES)


def layout_for(cert_type: str, data: Mapping[str, Any] | None = None) -> CertificateLayout:
    if cert_type in NON_PREFERENTIAL:
        return general_co.layout(cert_type)
    if cert_type in ("E", "EM"):
        return form_e.layout(cert_type)
    if cert_type == "RC":
        return rcep.layout(cert_type, data)
    if cert_type == "G":
        return form_a.layout(cert_type)
    if cert_type == "H":
        return cross_strait.layout(cert_type)
    return preferential.layout(cert_type)


def render_certificate(data: Mapping[str, Any], options: PrintOptions | None = None) -> bytes:
    head = data.get("head") if isinstance(data.get("head"), Mapping) else {}
    cert_type = field(head, "CertType")  # type: ignore[arg-type]
    if not cert_type:
        raise PdfError("the certificate has no CertType: cannot choose a layout")
    return render_layout(layout_for(cert_type, data), data, options)


def render(kind: str, data: Mapping[str, Any], options: PrintOptions | None = None, **slip: str) -> bytes:
    """One document of ``kind`` (see ``KINDS``) for the certificate ``data``."""
    options = options or PrintOptions()
    if kind == "certificate":
        return render_certificate(data, options)
    if kind == "application":
        return application_form.render(data, hyphenate=options.hyphenate)
    if kind == "invoice":
        return invoice.render(data, hyphenate=options.hyphenate)
    if kind == "slip":
        return auth_slip.render(data, **slip)
    raise PdfError(f"unknown print kind {kind!r}: one of {', '.join(KINDS)}")
