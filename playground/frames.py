"""Pack the HTML fragments of one update into WebSocket frames that each fit the frame limit.

Daphne's ``--websocket-max-message-size`` (65,536 bytes in the README's production command)
caps what the server sends as well as what it receives: a bigger frame never arrives. So:

- whole fragments are grouped into frames of at most ``FRAME_BYTES`` (UTF-8) each; htmx swaps
  every frame's fragments as it arrives, as before;
- a single fragment bigger than that (a queue panel full of message cards, say) is cut into
  numbered parts, ``<!--pg-part i/n-->`` followed by a slice of its text, each within the
  limit; the page's script (static/js/playground.js, the ``pg-parts`` htmx extension) joins
  the parts and swaps the whole fragment once the last part is there.

Every frame fits by construction, whatever the size of the view.
"""

from __future__ import annotations

FRAME_BYTES = 60_000  # well under Daphne's 65,536 (--websocket-max-message-size)
PART_PREFIX = "<!--pg-part "
_PART_HEADER_BYTES = 40  # "<!--pg-part 123456/123456-->" and then some


def pack(fragments: list[str], limit: int = FRAME_BYTES) -> list[str]:
    """The frames to send for ``fragments``, in order: each at most ``limit`` UTF-8 bytes."""
    frames: list[str] = []
    group: list[str] = []
    size = 0
    for fragment in fragments:
        n = len(fragment.encode())
        if n > limit:
            if group:
                frames.append("".join(group))
                group, size = [], 0
            frames.extend(_parts(fragment, limit))
            continue
        if size + n > limit and group:
            frames.append("".join(group))
            group, size = [], 0
        group.append(fragment)
        size += n
    if group:
        frames.append("".join(group))
    return frames


def _parts(text: str, limit: int) -> list[str]:
    """``text`` cut into numbered parts of at most ``limit`` bytes, header included."""
    data = text.encode()
    room = limit - _PART_HEADER_BYTES
    if room < 4:  # a part must hold at least one character (up to 4 bytes in UTF-8)
        raise ValueError(f"a frame limit of {limit} bytes leaves no room for a part")
    slices = []
    start = 0
    while start < len(data):
        end = min(start + room, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1  # never cut a multi-byte character in two
        slices.append(data[start:end].decode())
        start = end
    total = len(slices)
    return [f"{PART_PREFIX}{i}/{total}-->{piece}" for i, piece in enumerate(slices, 1)]


def unpack(frames: list[str]) -> str:
    """What the page makes of ``frames``: the HTML they carry, parts joined (for tests)."""
    out, parts = [], []
    for frame in frames:
        if frame.startswith(PART_PREFIX):
            header, _, piece = frame[len(PART_PREFIX) :].partition("-->")
            index, total = (int(x) for x in header.split("/"))
            parts.append(piece)
            if index == total:
                out.append("".join(parts))
                parts = []
        else:
            out.append(frame)
    return "".join(out)
