"""Learner text, made safe to store and show: the one helper every text input goes through.

Bidirectional control characters (embeddings, overrides, isolates and the invisible direction
marks) reorder how the text around them is displayed: "invoice\u202egnp.exe" shows as
"invoiceexe.png", and an unclosed override can flip the rest of a line of the page. They carry
no meaning a learner needs here, so they are removed where text enters (WebSocket frames and
form posts), before anything is validated, stored or shown.
"""

import re

# U+061C Arabic letter mark, U+200E/U+200F left-to-right/right-to-left marks,
# U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def text_clean(value: str) -> str:
    """``value`` without bidirectional control characters (all other text is kept)."""
    return BIDI_CONTROLS.sub("", value)
