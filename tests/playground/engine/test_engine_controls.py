"""The control forms send what the engine takes: their choices come from the engine's tables.

Issue 10 item 5: the page's profile select sent 'sqs' and 'rabbitmq' while the engine's
profiles are 'sqs-standard' and 'rabbitmq-quorum', so choosing one was refused.
"""

import re

from django.template.loader import render_to_string

from playground.engine import PROFILES, Simulation
from playground.live import LiveSession
from playground.protocol import engine_command, parse_frame


def test_the_profile_select_offers_exactly_the_engines_profiles_and_each_one_applies():
    for key in PROFILES:
        sim = Simulation.from_scenario("sandbox", 1)
        html = render_to_string(
            "playground/_broker.html", LiveSession("sandbox", sim).contexts()["broker"]
        )
        select = re.search(r'<select id="profile" name="profile">(.*?)</select>', html, re.S)
        values = re.findall(r'<option value="([^"]+)"', select.group(1))
        assert values == list(PROFILES)
        frame = parse_frame(f'{{"action": "set_profile", "profile": "{key}"}}')
        result = sim.apply(engine_command(frame))
        assert PROFILES[key].label in result["message"]
        assert sim.view()["profile"]["key"] == key
