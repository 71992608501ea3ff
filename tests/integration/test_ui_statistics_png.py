"""Statistics by user account and the PNG chart downloads (seed 001 ch. 11 下载图表)."""

from __future__ import annotations

import io

from PIL import Image

from tests.integration.ui_world import UiWorld


def test_statistics_by_user_lists_every_account_and_erp_pushes(ui_world: UiWorld) -> None:
    stats = ui_world.container.ui_reads.statistics(("91350100M000100Y43", "91110000100000000X"))
    # the world's certificates were pushed through the API; every UI user of the scope counts 0
    assert stats["user"]["ERP API"] == 2
    assert stats["user"]["agent-declarant (91350100M000100Y43)"] == 0
    assert "principal-admin (91110000100000000X)" in stats["user"]
    assert not any("other-" in k for k in stats["user"]), "another enterprise's users are not listed"


def test_charts_download_as_png_with_the_counts(ui_world: UiWorld) -> None:
    client = ui_world.client("agent-declarant")
    page = client.get("/ui/statistics").get_data(as_text=True)
    assert "/ui/statistics/user.bar.png" in page and "用户 user account" in page
    for kind in ("bar", "pie"):
        r = client.get(f"/ui/statistics/cert_type.{kind}.png", query_string={"from": "2000-01-01"})
        assert r.status_code == 200 and r.mimetype == "image/png"
        assert f"statistics-cert_type-{kind}.png" in r.headers["Content-Disposition"]
        image = Image.open(io.BytesIO(r.data))
        assert image.format == "PNG" and image.width == 640
        # two certificate types → two palette colours are drawn
        colours = {c for _, c in image.getcolors(maxcolors=1 << 16) or []}
        assert (0x2F, 0x6D, 0xB5) in colours and (0xE0, 0x7B, 0x39) in colours
    empty = client.get("/ui/statistics/cert_type.bar.png", query_string={"to": "2000-01-01"})
    empty_colours = {c for _, c in Image.open(io.BytesIO(empty.data)).getcolors(1 << 16) or []}
    assert empty.status_code == 200 and (0x2F, 0x6D, 0xB5) not in empty_colours  # no bar drawn
    assert client.get("/ui/statistics/nothing.pie.png").status_code == 404
    assert client.get("/ui/statistics/cert_type.pie.png", query_string={"from": "23/11"}).status_code == 400
