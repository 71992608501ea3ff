"""The GSP certificate of origin Form A (type G)."""

from __future__ import annotations

from gateway.pdf import fields as f
from gateway.pdf.certificate import CONSIGNMENT_BOXES, CertificateLayout, Data, Part
from gateway.pdf.kit import field
from gateway.pdf.table import Column


def _declaration(data: Data) -> str:
    dest = field(f.head(data), "DestCountryCode")
    return ("The undersigned hereby declares that the above details and statements are correct; that all the "
            "goods were produced in CHINA and that they comply with the origin requirements specified for those "
            f"goods in the Generalized System of Preferences for goods exported to {dest}.")


def layout(cert_type: str = "G") -> CertificateLayout:
    return CertificateLayout(
        key="form_a",
        titles=("GENERALIZED SYSTEM OF PREFERENCES", "CERTIFICATE OF ORIGIN",
                "(Combined declaration and certificate)", "FORM A"),
        left=CONSIGNMENT_BOXES,
        right=Part("4", "For official use", f.remarks),
        columns=(
            Column("5", "Item number", 0.7, f.item_no, align="center"),
            Column("6", "Marks and numbers of packages", 1.2, f.marks),
            Column("7", "Number and kind of packages; description of goods", 3.4,
                   lambda g, _h: f.joined(f.packages_and_description(g), f"HS: {field(g, 'HSCode')}", sep="\n"),
                   hyphenate=True),
            Column("8", "Origin criterion (see Notes overleaf)", 1.1, f.criterion),
            Column("9", "Gross weight or other quantity", 1.3, lambda g, _h: f.gross_weight(g)),
            Column("10", "Number and date of invoices", 1.4, f.first_invoice),
        ),
        certification=Part("11", "Certification", lambda _d: (
            "It is hereby certified, on the basis of control carried out, that the declaration by the "
            "exporter is correct.")),
        declaration=Part("12", "Declaration by the exporter", _declaration),
    )
