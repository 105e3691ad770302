"""The behaviour scripts themselves: valid data, enough of them, every issue-14 rule covered."""

from __future__ import annotations

import pytest
from behaviour_scripts import ScriptError, load_behaviours

# Every behaviour issue 14 lists, by script id: these must stay in the suite.
ISSUE_14 = {
    "process death vs host loss": [
        "process-death-requeues-at-once",
        "network-loss-waits-for-heartbeat",
    ],
    "auto-ack ignores prefetch": ["auto-ack-ignores-prefetch"],
    "double ack closes the channel": ["double-ack-closes-channel"],
    "quorum max-length N+1": ["quorum-reject-publish-overshoots"],
    "quorum requeue order": ["quorum-return-order", "quorum-nack-goes-to-back-3x"],
    "no basic.qos means no prefetch limit": ["default-prefetch-unlimited"],
    "x-delivery-limit counts redeliveries": ["delivery-limit-counts-redeliveries"],
    "unroutable with and without mandatory": [
        "unroutable-silently-dropped",
        "unroutable-mandatory-returned",
    ],
}


def test_the_scripts_load_and_at_least_thirty_are_compared_on_this_broker_version():
    behaviours = load_behaviours()
    compared = [b for b in behaviours if b.engine != "not modelled" and b.applies_to("3.10.8")]
    assert len(compared) >= 30


def test_every_behaviour_issue_14_names_has_a_script():
    ids = {b.id for b in load_behaviours()}
    for rule, scripts in ISSUE_14.items():
        assert set(scripts) <= ids, f"issue 14's {rule!r} lost its script"


def test_each_behaviour_names_a_documented_source():
    for b in load_behaviours():
        assert b.source_url.startswith("https://"), b.id
        assert "rabbitmq" in b.source_url, b.id
        assert b.source_title, b.id


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[[behaviour]]\nid = "x"\n', "missing"),
        (
            '[[behaviour]]\nid="x"\ntitle="t"\nclaim="c"\nqueue_type="classic"\nengine="agrees"\n'
            'source={title="s", url="https://www.rabbitmq.com/"}\nobserve=["deliveries"]\n'
            'steps=[{ack="A"}]\n',
            "unknown consumer",
        ),
        (
            '[[behaviour]]\nid="x"\ntitle="t"\nclaim="c"\nqueue_type="classic"\nengine="disagrees"\n'
            'engine_note="n"\nsource={title="s", url="https://www.rabbitmq.com/"}\n'
            'observe=["deliveries"]\nsteps=[{publish=1}]\n',
            "names its fix",
        ),
        (
            '[[behaviour]]\nid="x"\ntitle="t"\nclaim="c"\nqueue_type="classic"\nengine="agrees"\n'
            'source={title="s", url="https://www.rabbitmq.com/"}\nobserve=["deliveries"]\n'
            "steps=[{publish=1, mandatory=true, typo=1}]\n",
            "unknown field",
        ),
        (
            '[[behaviour]]\nid="x"\ntitle="t"\nclaim="c"\nqueue_type="classic"\nengine="agrees"\n'
            'source={title="s", url="https://www.rabbitmq.com/"}\nobserve=["deliveries"]\n'
            'queues=[{name="work", delivery_limit=3}]\nsteps=[{publish=1}]\n',
            "quorum-queue argument",
        ),
    ],
)
def test_a_broken_script_is_refused_with_a_reason(tmp_path, text, error):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ScriptError, match=error):
        load_behaviours(tmp_path)
