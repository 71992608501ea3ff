"""Form E: the ASEAN-China FTA preferential certificate (type E), and the China-ASEAN movement
certificate (流动证明, seed 001 §1.24, type EM) which prints on the same form."""

from __future__ import annotations

from gateway.pdf import fields as f
from gateway.pdf.certificate import CONSIGNMENT_BOXES, CertificateLayout, Data, Part
from gateway.pdf.kit import field
from gateway.pdf.table import Column


def _declaration(data: Data) -> str:
    dest = field(f.head(data), "DestCountryCode")
    return ("The undersigned hereby declares that the above details and statement are correct; that all the "
            "goods were produced in CHINA and that they comply with the origin requirements specified for "
            f"these goods in the ASEAN-China Free Trade Area Preferential Tariff for the goods exported to {dest}.")


def _official(data: Data) -> str:
    boxes = "[ ] Preferential Treatment Given    [ ] Preferential Treatment Not Given (Please state reason/s)"
    return f.joined(boxes, f.remarks(data), sep="\n")


def layout(cert_type: str = "E") -> CertificateLayout:
    movement = cert_type == "EM"
    return CertificateLayout(
        key="form_e" if not movement else "form_e_movement",
        titles=("ASEAN-CHINA FREE TRADE AREA", "PREFERENTIAL TARIFF", "CERTIFICATE OF ORIGIN",
                "MOVEMENT CERTIFICATE" if movement else "(Combined Declaration and Certificate)", "FORM E"),
        left=CONSIGNMENT_BOXES,
        right=Part("4", "For Official Use", _official),
        columns=(
            Column("5", "Item number", 0.7, f.item_no, align="center"),
            Column("6", "Marks and numbers on packages", 1.2, f.marks),
            Column("7", "Number and type of packages, description of goods (including quantity where "
                        "appropriate and HS number of the importing Party)", 3.4,
                   lambda g, _h: f.joined(f.packages_and_description(g), f"HS: {field(g, 'HSCode')}", sep="\n"),
                   hyphenate=True),
            Column("8", "Origin criterion", 1.1, f.criterion),
            Column("9", "Gross weight or other quantity and value (FOB)", 1.5, f.weight_and_value),
            Column("10", "Number and date of invoices", 1.4, f.first_invoice),
        ),
        declaration=Part("11", "Declaration by the exporter", _declaration),
        certification=Part("12", "Certification", lambda _d: (
            "It is hereby certified, on the basis of control carried out, that the declaration by the "
            "exporter is correct.")),
    )
