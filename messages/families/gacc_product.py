"""Product pre-review 产品预审 (seed 001 ch. 6): applications and their receipts."""

from messages.catalogue import Entry

NS = "urn:cogateway:gacc:product:v1"
SCHEMA = "gacc-product-v1.xsd"

ENTRIES = (
    Entry(root=f"{{{NS}}}ProductPreReview", message_type="GACC_PRODUCT_PREREVIEW", family="gacc_product",
          authority="GACC", direction="outbound", schema=SCHEMA,
          description="Product pre-review application (产品预审): new, change, cancel, restore or delete one "
                      "product record with its production details",
          envelope_type="GACC_PRODUCT_PREREVIEW", document_key="Head/DocumentNo"),
    Entry(root=f"{{{NS}}}ProductPreReviewReceipt", message_type="GACC_PRODUCT_PREREVIEW_RECEIPT",
          family="gacc_product", authority="GACC", direction="inbound", schema=SCHEMA,
          description="Product pre-review receipt: the record's (status, audit status) after the authority "
                      "handled an application",
          envelope_type="GACC_PRODUCT_PREREVIEW_RECEIPT"),
)
