"""Certificate numbers (seed 001 ch. 4): type + 2-digit year + registration number + 4-digit serial.

Serials count per (enterprise, type, year) from 0001 and are handed out by one atomic upsert, so any
number of API workers never give two certificates the same number. A number stays editable: the ERP
may send its own; a generated number some accepted certificate already carries is skipped.
"""

from __future__ import annotations

from gateway.domain.numbering import MAX_SERIAL, TYPE_CODES, format_cert_no
from gateway.services.errors import GatewayError
from gateway.services.ports import Clock, Store


class NumberingError(GatewayError):
    pass


def allocate_cert_no(store: Store, clock: Clock, *, enterprise_id: str, cert_type: str,
                     year: int | None = None) -> str:
    cert_type = cert_type.strip().upper()
    if cert_type not in TYPE_CODES:
        raise NumberingError(f"certificate type {cert_type!r} is not a GACC type ({', '.join(sorted(TYPE_CODES))})")
    year = year or clock.now().year
    this_year = clock.now().year
    if year not in (this_year, this_year - 1):
        raise NumberingError(f"year {year}: numbers are issued for {this_year - 1} or {this_year} only")
    while True:
        with store.transaction() as tx:
            enterprise = tx.enterprise(enterprise_id)
            if enterprise is None:
                raise NumberingError(f"unknown enterprise {enterprise_id}")
            serial = tx.take_serial(enterprise_id, cert_type, year)
            if serial > MAX_SERIAL:
                raise NumberingError(f"all {MAX_SERIAL} serials of type {cert_type} in {year} are used")
            cert_no = format_cert_no(cert_type, year, enterprise.reg_no, serial)
            if not tx.cert_no_in_use(enterprise_id, cert_no):
                return cert_no
