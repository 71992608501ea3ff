"""CCPIT product registration 商品备案 (seed 002 l.538-581) and CCPIT's answer per preferential area."""

from messages.catalogue import Entry

NS = "urn:cogateway:ccpit:product:v1"
SCHEMA = "ccpit-product-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}ProductRecord", message_type="CCPIT_PRODUCT_RECORD", family="ccpit_product",
          authority="CCPIT", direction="outbound", schema=SCHEMA,
          description="CCPIT product registration (商品备案): save, declare or delete one product with its "
                      "preferential areas and raw materials",
          envelope_type="CCPIT_PRODUCT_RECORD", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}ProductRecordReceipt", message_type="CCPIT_PRODUCT_RECORD_RECEIPT", family="ccpit_product",
          authority="CCPIT", direction="inbound", schema=SCHEMA,
          description="CCPIT product registration receipt: registration number (备案申请号) and review status per "
                      "preferential area",
          envelope_type="CCPIT_PRODUCT_RECORD_RECEIPT"),
)
