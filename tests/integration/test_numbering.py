"""Certificate numbers: per enterprise, type and year from 0001; never the same number twice, even
when many callers ask at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from gateway.domain.numbering import parse_cert_no
from gateway.services.numbering import NumberingError, allocate_cert_no
from tests.integration.world import ENT, World


def test_serials_count_per_type_and_year_from_0001(world: World) -> None:
    year = world.clock.now().year
    e1 = allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="E")
    e2 = allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="E")
    rc = allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="rc")
    last_year = allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="E", year=year - 1)
    yy = f"{year % 100:02d}"
    assert (e1, e2) == (f"E{yy}{ENT.reg_no}0001", f"E{yy}{ENT.reg_no}0002")
    assert rc == f"RC{yy}{ENT.reg_no}0001" and len(rc) == 17
    assert parse_cert_no(last_year).serial == 1


def test_a_number_already_carried_by_an_accepted_certificate_is_skipped(world: World) -> None:
    from gateway.demo import sample_bytes

    year = world.clock.now().year % 100
    # the ERP edited its own number in: E<yy>3501000010001 is taken before the generator reaches it
    raw = sample_bytes("form_e_approved.xml").replace(b"E263501000010001", f"E{year:02d}3501000010001".encode())
    assert world.accept(raw).outcome == "accepted"
    assert allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="E").endswith("0002")


def test_unknown_type_and_far_years_are_refused(world: World) -> None:
    with pytest.raises(NumberingError, match="not a GACC type"):
        allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="ZZ")
    with pytest.raises(NumberingError, match="numbers are issued"):
        allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="E", year=2019)


def test_concurrent_callers_never_get_the_same_number(world: World) -> None:
    got: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        try:
            for _ in range(10):
                got.append(allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="K"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(parse_cert_no(n).serial for n in got) == list(range(1, 81))


def test_clock_year_is_used_by_default(world: World) -> None:
    world.clock.t = datetime(2027, 1, 1, tzinfo=UTC)
    assert allocate_cert_no(world.store, world.clock, enterprise_id=ENT.id, cert_type="C").startswith("C27")
