"""Every layout read back with pdftotext: the numbers, parties, HS codes and origin criteria are on paper."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import gateway.pdf as pdf
from gateway.pdf import cross_strait, form_a, form_e, general_co, preferential, rcep
from tests.pdftools import SAMPLES, certificate_data, fonts, has_word, images, pages, text

ALL_SAMPLES = sorted(p.stem for p in SAMPLES.glob("valid_*.xml"))
# one sample per layout module, the cross-strait one in Chinese
BY_LAYOUT = {"valid_c": general_co, "valid_t": general_co, "valid_e": form_e, "valid_em": form_e,
             "valid_rc": rcep, "valid_g": form_a, "valid_h": cross_strait, "valid_k": preferential,
             "valid_a": preferential}


def _first_line(value: str) -> str:
    return value.strip().splitlines()[0].strip()


@pytest.mark.parametrize("name", ALL_SAMPLES)
def test_certificate_text_has_number_parties_hs_codes_and_criteria(name: str) -> None:
    data = certificate_data(name)
    head = data["head"]
    found = text(pdf.render("certificate", data))
    assert head["CertNo"] in found
    assert _first_line(head["Exporter"]) in found
    assert _first_line(head["Consignee"]) in found
    for goods in data["goods"]:
        hs = goods["HSCode"][:6] if head["CertType"] == "RC" else goods["HSCode"]
        assert hs in found, f"HS code {hs} missing"
        if goods.get("OriCriteria"):
            assert has_word(found, goods["OriCriteria"]), f"criterion {goods['OriCriteria']} missing"


@pytest.mark.parametrize("name", sorted(BY_LAYOUT))
def test_each_layout_module_is_the_one_chosen_for_its_type(name: str) -> None:
    data = certificate_data(name)
    assert pdf.layout_for(data["head"]["CertType"], data).key.split("_")[0] == \
        BY_LAYOUT[name].layout(data["head"]["CertType"]).key.split("_")[0]


def test_form_layouts_print_their_own_titles() -> None:
    assert "FORM E" in text(pdf.render("certificate", certificate_data("valid_e")))
    assert "FORM A" in text(pdf.render("certificate", certificate_data("valid_g")))
    assert "Form RCEP" in text(pdf.render("certificate", certificate_data("valid_rc")))
    assert "Republic of Korea" in text(pdf.render("certificate", certificate_data("valid_k")))
    assert "RE-EXPORT CERTIFICATE" in text(pdf.render("certificate", certificate_data("valid_tr")))


def test_cross_strait_certificate_prints_in_chinese_with_an_embedded_font_subset() -> None:
    data = certificate_data("valid_h")
    document = pdf.render("certificate", data)
    found = text(document)
    for chinese in ("海峡两岸经济合作框架协议", "原产地证书", "出口商声明", "台湾永丰贸易股份有限公司",
                    "福建安溪铁观音茶业有限公司", "绿茶"):
        assert chinese in found
    assert "Declaration by the exporter" not in found
    embedded = [row for row in fonts(document) if "WenQuanYi" in row[0] or "CJK" in row[0]]
    assert embedded, "no CJK font in the PDF"
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in embedded), embedded  # emb, sub, uni


@pytest.mark.parametrize("kind", ["application", "invoice", "slip"])
@pytest.mark.parametrize("name", ["valid_e", "valid_h", "valid_rc"])
def test_application_invoice_and_slip_carry_the_certificate(kind: str, name: str) -> None:
    data = certificate_data(name)
    head = data["head"]
    found = text(pdf.render(kind, data))
    assert head["CertNo"] in found
    assert _first_line(head["Exporter"]) in found
    if kind != "slip":
        for goods in data["goods"]:
            assert goods["HSCode"] in found
    if kind == "application":
        assert "原产地证明书申请书" in found
        for goods in data["goods"]:
            if goods.get("OriCriteria"):
                assert has_word(found, goods["OriCriteria"])
            assert goods["GoodsName"] in found  # Chinese goods name
    if kind == "invoice":
        assert _first_line(head["Consignee"]) in found and head["InvNo"] in found
    if kind == "slip":
        assert "认证凭条" in found and head["FetchPlace"] in found


def _many_lines(count: int, cert_type: str = "C") -> dict:  # type: ignore[type-arg]
    data = certificate_data("valid_c")
    data["head"]["CertType"] = cert_type
    data["goods"] = [{"GoodsItemFlag": "0", "GNo": str(i), "HSCode": f"{940360 + i % 9:06d}{i % 100:02d}",
                      "GoodsNameE": f"WOODEN CHAIR MODEL {i}", "GoodsQty": "10", "GoodsUnit": "PCS",
                      "FOBValue": "100.00"} for i in range(1, count + 1)]
    return data


def test_a_thousand_line_certificate_continues_over_the_computed_number_of_pages() -> None:
    data = _many_lines(1000)
    document = pdf.render("certificate", data)
    per_page = general_co.layout("C").lines_per_page
    assert 20 <= per_page <= 40
    expected = math.ceil((1000 + 1) / per_page)  # one line per goods line, plus the closing asterisks
    assert pages(document) == expected
    second, last = text(document, first=2, last=2), text(document, first=expected, last=expected)
    for page_text in (second, last):  # every page repeats the header boxes and the column headings
        assert data["head"]["CertNo"] in page_text and "H.S. Code" in page_text and "1. Exporter" in page_text
    assert f"Page 2 of {expected}" in second
    assert "WOODEN CHAIR MODEL 1000" in last and "*" * 24 in last
    assert f"WOODEN CHAIR MODEL {per_page + 1}\n" in second or f"WOODEN CHAIR MODEL {per_page + 1} " in second


def test_long_application_form_repeats_its_table_heading_on_every_page() -> None:
    document = pdf.render("application", _many_lines(200))
    count = pages(document)
    assert count > 2
    for page in range(1, count + 1):
        assert "HS编码 HS code" in text(document, first=page, last=page)
    assert "WOODEN CHAIR MODEL 200" in text(document, first=count, last=count)


def test_hyphen_on_wrap_option_splits_the_description_with_a_hyphen() -> None:
    data = certificate_data("valid_c")
    data["goods"][0]["GoodsNameE"] = "ELECTROCARDIOGRAPHIC MONITORING INSTRUMENTATION ACCESSORIES " * 3
    plain = text(pdf.render("certificate", data), layout=True)
    hyphenated = text(pdf.render("certificate", data, pdf.PrintOptions(hyphenate=True)), layout=True)
    split = [w for w in hyphenated.split() if w.endswith("-") and w[-2].isalpha()]
    assert split, "no word was split with a hyphen"
    assert not [w for w in plain.split() if w.endswith("-")]
    assert all(w[:-1] in "ELECTROCARDIOGRAPHIC MONITORING INSTRUMENTATION ACCESSORIES" for w in split)


def _png(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (width, height), (200, 20, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def test_copy_is_watermarked_and_original_carries_seal_and_signature_at_true_size() -> None:
    data = certificate_data("valid_k")
    copy = text(pdf.render("certificate", data, pdf.PrintOptions(mark="copy")))
    assert "COPY" in copy and "ORIGINAL" not in copy
    options = pdf.PrintOptions(mark="original", seal=pdf.Stamp(_png(400, 400), 42.0, 42.0),
                               signature=pdf.Stamp(_png(350, 210), 35.0, 21.0))
    original = pdf.render("certificate", data, options)
    assert "ORIGINAL" in text(original) and "COPY" not in text(original)
    sizes = sorted((int(i["width"]) / float(i["x-ppi"]) * 25.4, int(i["height"]) / float(i["y-ppi"]) * 25.4)
                   for i in images(original) if i["type"] == "image")
    assert [v for size in sizes for v in size] == pytest.approx([35.0, 21.0, 42.0, 42.0], abs=0.3)


def test_an_unknown_kind_or_a_missing_type_is_a_clear_error() -> None:
    with pytest.raises(pdf.PdfError, match="unknown print kind 'receipt'"):
        pdf.render("receipt", certificate_data("valid_c"))
    data = certificate_data("valid_c")
    data["head"]["CertType"] = ""
    with pytest.raises(pdf.PdfError, match="no CertType"):
        pdf.render("certificate", data)


def test_samples_dir_exists() -> None:
    assert Path(SAMPLES).is_dir() and len(ALL_SAMPLES) >= 30
