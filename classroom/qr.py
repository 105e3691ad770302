"""The join link as a QR code, drawn on the server as SVG by segno (no script, no network)."""

import io

import segno


def qr_svg(*, url: str) -> bytes:
    """A scalable black-on-white SVG of ``url`` (error correction M, the standard quiet zone)."""
    code = segno.make(url, error="m")
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        border=4,
        omitsize=True,  # sized by the page's CSS through the viewBox
        dark="#000",
        light="#fff",
        title="QR code of the join link",
        svgclass=None,
        lineclass=None,
    )
    return out.getvalue()
