"""The general (non-preferential) certificate of origin, type C; also the other non-preferential types
(tobacco T, re-export TR, processing PR, EU agricultural M, tile price undertakings AD/AP) with their
own titles (seed 001 §1.1: boxes 1-12 of the CCPIT/GACC general CO form)."""

from __future__ import annotations

from gateway.pdf import fields as f
from gateway.pdf.certificate import CertificateLayout, Data, Part
from gateway.pdf.kit import field
from gateway.pdf.table import Column

TITLES = {
    "C": ("CERTIFICATE OF ORIGIN",),
    "T": ("CERTIFICATE OF AUTHENTICITY", "(TOBACCO)"),
    "TR": ("RE-EXPORT CERTIFICATE",),
    "PR": ("CERTIFICATE OF PROCESSING AND ASSEMBLY",),
    "M": ("CERTIFICATE OF ORIGIN", "(AGRICULTURAL PRODUCTS FOR THE EUROPEAN UNION)"),
    "AD": ("CERTIFICATE OF ORIGIN", "(CERAMIC TILES, PRICE UNDERTAKING - MEXICO)"),
    "AP": ("CERTIFICATE OF ORIGIN", "(CERAMIC TILES, PRICE UNDERTAKING - PAKISTAN)"),
}

DECLARATION = ("The undersigned hereby declares that the above details and statements are correct, that "
               "all the goods were produced in China and that they comply with the Rules of Origin of the "
               "People's Republic of China.")
CERTIFICATION = "It is hereby certified that the declaration by the exporter is correct."


def _quantity(g: Data, h: Data) -> str:
    weights = f.joined(f"G.W. {f.number(field(g, 'GrossWt'))}" if field(g, "GrossWt") else "",
                       f"N.W. {f.number(field(g, 'NetWt'))} {field(g, 'WtUnit')}".strip() if field(g, "NetWt") else "",
                       sep="\n")
    return f.joined(f.quantity(g), weights, sep="\n")


def _origin_country(data: Data) -> str:
    h = f.head(data)
    code = field(h, "OriCountryCode")
    return f"COUNTRY OF ORIGIN: {code}" if code else ""


def layout(cert_type: str = "C") -> CertificateLayout:
    return CertificateLayout(
        key=f"general_{cert_type.lower()}",
        titles=TITLES.get(cert_type, TITLES["C"]),
        left=(
            Part("1", "Exporter", lambda d: field(f.head(d), "Exporter")),
            Part("2", "Consignee", lambda d: field(f.head(d), "Consignee")),
            Part("3", "Means of transport and route", lambda d: f.transport(f.head(d))),
            Part("4", "Country / region of destination", lambda d: field(f.head(d), "DestCountryCode")),
        ),
        right=Part("5", "For certifying authority use only",
                   lambda d: f.joined(f.remarks(d), _origin_country(d), sep="\n")),
        columns=(
            Column("6", "Marks and numbers", 1.3, f.marks),
            Column("7", "Number and kind of packages; description of goods", 3.6,
                   lambda g, _h: f.packages_and_description(g), hyphenate=True),
            Column("8", "H.S. Code", 1.2, f.hs_code),
            Column("9", "Quantity", 1.3, _quantity),
            Column("10", "Number and date of invoices", 1.5, f.first_invoice),
        ),
        declaration=Part("11", "Declaration by the exporter", lambda _d: DECLARATION),
        certification=Part("12", "Certification", lambda _d: CERTIFICATION),
    )
