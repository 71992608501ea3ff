"""The generic preferential layout: every FTA certificate without a form of its own (Australia, Korea,
New Zealand, Pakistan, Chile, Switzerland, Iceland, Georgia, Singapore, Peru, Costa Rica, APTA, …) prints
this form with its agreement's title, producer box and origin-criterion column."""

from __future__ import annotations

from types import MappingProxyType

from gateway.pdf import fields as f
from gateway.pdf.certificate import CertificateLayout, Data, Part
from gateway.pdf.kit import field
from gateway.pdf.table import Column

#: Agreement named in the title and in the exporter's declaration, per certificate type.
AGREEMENTS = MappingProxyType({
    "A": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of Australia",
    "K": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of the Republic of Korea",
    "N": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of New Zealand",
    "P": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of the Islamic Republic of Pakistan",
    "F": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of the Republic of Chile",
    "S": "Free Trade Agreement between the People's Republic of China and the Swiss Confederation",
    "I": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of Iceland",
    "GE": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of Georgia",
    "X": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of the Republic of Singapore",
    "R": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of the Republic of Peru",
    "L": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
         "of the Republic of Costa Rica",
    "B": "Asia-Pacific Trade Agreement",
    "MU": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Republic of Mauritius",
    "CA": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Kingdom of Cambodia",
    "NI": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Republic of Nicaragua",
    "EC": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Republic of Ecuador",
    "SE": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Republic of Serbia",
    "HD": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Republic of Honduras",
    "MV": "Free Trade Agreement between the Government of the People's Republic of China and the Government "
          "of the Republic of Maldives",
    "CG": "Arrangement on preferential treatment between the People's Republic of China and the Republic "
          "of the Congo",
})


def _producer(data: Data) -> str:
    return field(f.head(data), "Producer") or "AVAILABLE UPON REQUEST"


def layout(cert_type: str) -> CertificateLayout:
    agreement = AGREEMENTS.get(cert_type, "Preferential Trade Agreement")

    def declaration(data: Data) -> str:
        dest = field(f.head(data), "DestCountryCode")
        return ("The undersigned hereby declares that the above details and statements are correct, that all the "
                "goods were produced in China and that they comply with the origin requirements specified in the "
                f"{agreement} for the goods exported to {dest}.")

    return CertificateLayout(
        key=f"preferential_{cert_type.lower()}",
        titles=("CERTIFICATE OF ORIGIN", f"Form for {agreement}"),
        left=(
            Part("1", "Exporter's name, address and country", lambda d: field(f.head(d), "Exporter")),
            Part("2", "Producer's name and address, if known", _producer),
            Part("3", "Consignee's name, address and country", lambda d: field(f.head(d), "Consignee")),
            Part("4", "Means of transport and route (as far as known)", lambda d: f.transport(f.head(d))),
        ),
        right=Part("5", "For official use only / Remarks", f.remarks),
        columns=(
            Column("6", "Item number (max. 20)", 0.7, f.item_no, align="center"),
            Column("7", "Marks and numbers on packages", 1.1, f.marks),
            Column("8", "Number and kind of packages; description of goods", 3.0,
                   lambda g, _h: f.packages_and_description(g), hyphenate=True),
            Column("9", "HS code (6 digit)", 1.0, f.hs_code),
            Column("10", "Origin criterion", 1.0, f.criterion),
            Column("11", "Gross weight, quantity (quantity unit) or other measures", 1.3, f.weight_and_value),
            Column("12", "Number and date of invoice", 1.3, f.first_invoice),
        ),
        declaration=Part("13", "Declaration by the exporter", declaration),
        certification=Part("14", "Certification", lambda _d: (
            "On the basis of control carried out, it is hereby certified that the information herein is correct "
            "and that the goods described comply with the origin requirements of the Agreement.")),
    )
