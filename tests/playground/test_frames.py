"""Frames of one update each fit the frame limit, and the page gets back exactly what was sent."""

from hypothesis import given
from hypothesis import strategies as st

from playground.frames import FRAME_BYTES, PART_PREFIX, pack, unpack

fragments = st.lists(st.text(alphabet=st.sampled_from("aé<>€😀\n"), max_size=400), max_size=12)


@given(fragments, st.integers(min_value=48, max_value=300))
def test_every_frame_fits_and_the_parts_join_back_to_the_fragments(parts, limit):
    frames = pack(parts, limit)
    assert all(len(frame.encode()) <= limit for frame in frames)
    assert unpack(frames) == "".join(parts)


def test_small_fragments_share_frames_and_only_a_too_big_one_is_cut():
    small = ["<div id='a'>a</div>", "<div id='b'>b</div>"]
    assert pack(small) == ["".join(small)]
    big = "<div id='q'>" + "é" * FRAME_BYTES + "</div>"
    frames = pack([small[0], big, small[1]])
    assert frames[0] == small[0] and frames[-1] == small[1]
    cut = frames[1:-1]
    assert len(cut) == 3 and all(f.startswith(PART_PREFIX) for f in cut)
    assert cut[0].startswith(f"{PART_PREFIX}1/3-->") and cut[-1].startswith(f"{PART_PREFIX}3/3-->")
    assert unpack(frames) == small[0] + big + small[1]


def test_nothing_to_send_sends_no_frame():
    assert pack([]) == []
