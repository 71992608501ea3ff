"""The RCEP certificate of origin (type RC), back-to-back included (seed 001 §1.25-§1.26).

RCEP goods lines name their invoice (an ``OriInvs`` entry); box 13 prints that invoice's number and
date, box 9 the 6-digit HS code, box 11 the RCEP country of origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.pdf import fields as f
from gateway.pdf.certificate import CertificateLayout, Data, Part
from gateway.pdf.kit import field
from gateway.pdf.table import Column


def _invoice_of(g: Data, h: Data, invoices: list[Mapping[str, Any]]) -> str:
    inv_no = field(g, "InvNo") or field(h, "InvNo")
    for inv in invoices:
        if field(inv, "InvNo") == inv_no:
            return f.joined(inv_no, field(inv, "InvDate"), sep="\n")
    return f.joined(inv_no, field(h, "InvDate") if inv_no == field(h, "InvNo") else "", sep="\n")


def _columns(invoices: list[Mapping[str, Any]]) -> tuple[Column, ...]:
    return (
        Column("6", "Item number", 0.6, f.item_no, align="center"),
        Column("7", "Marks and numbers on packages", 1.1, f.marks),
        Column("8", "Number and kind of packages; and description of goods", 2.9,
               lambda g, _h: f.packages_and_description(g), hyphenate=True),
        Column("9", "HS Code of the goods (6 digit-level)", 0.9, lambda g, _h: field(g, "HSCode")[:6]),
        Column("10", "Origin Conferring Criterion", 0.9, f.criterion),
        Column("11", "RCEP Country of Origin", 0.8,
               lambda g, h: field(g, "OriProofCountryCode") or field(h, "OriCountryCode") or "CHN"),
        Column("12", "Quantity (Gross weight or other measurement), and value (FOB) where RVC is applied", 1.4,
               lambda g, h: f.gross_weight(g) if field(g, "OriCriteria") != "RVC" else f.weight_and_value(g, h)),
        Column("13", "Invoice number(s) and date of invoice(s)", 1.2,
               lambda g, h: _invoice_of(g, h, invoices)),
    )


def _declaration(data: Data) -> str:
    dest = field(f.head(data), "DestCountryCode")
    return ("The undersigned hereby declares that the above details and statements are correct and that the "
            "goods covered in this Certificate comply with the requirements specified for these goods in the "
            f"Regional Comprehensive Economic Partnership Agreement. These goods are exported to {dest}.")


def _producer(data: Data) -> str:
    h = f.head(data)
    return field(h, "Producer") or "AVAILABLE UPON REQUEST"


def layout(cert_type: str = "RC", data: Data | None = None) -> CertificateLayout:
    invoices = [i for i in (data or {}).get("invoices") or [] if isinstance(i, Mapping)]
    return CertificateLayout(
        key="rcep",
        titles=("REGIONAL COMPREHENSIVE ECONOMIC PARTNERSHIP AGREEMENT", "CERTIFICATE OF ORIGIN", "Form RCEP"),
        left=(
            Part("1", "Exporter's name, address and country", lambda d: field(f.head(d), "Exporter")),
            Part("2", "Producer's name, address and country (if known)", _producer),
            Part("3", "Importer's or consignee's name, address and country", lambda d: field(f.head(d), "Consignee")),
            Part("4", "Means of transport and route (if known)", lambda d: f.transport(f.head(d))),
        ),
        right=Part("5", "For official use / 14. Remarks", lambda d: f.joined(
            "[ ] Preferential tariff treatment given    [ ] not given", f.remarks(d), sep="\n")),
        columns=_columns(invoices),
        declaration=Part("15", "Declaration by the exporter", _declaration),
        certification=Part("16", "Certification", lambda _d: (
            "On the basis of control carried out, it is hereby certified that the information herein is correct "
            "and that the goods described comply with the origin requirements specified in the Regional "
            "Comprehensive Economic Partnership Agreement.")),
    )
