"""The reconnection policies and jitters of SPEC.md section 4, with a pinned random source."""

import pytest

from aip_peer import Backoff, ReconnectPolicy


def delays(policy: ReconnectPolicy, draws=(0.5,), count: int = 10) -> list:
    values = iter(draws * 100)
    backoff = Backoff(policy, lambda: next(values))
    return [backoff.next_delay_ms() for _ in range(count)]


def test_exponential_doubles_then_caps():
    policy = ReconnectPolicy(max_retries=6, initial_backoff_ms=100, max_backoff_ms=1000, jitter="none")

    assert delays(policy, count=7) == [100, 200, 400, 800, 1000, 1000, None]


def test_exponential_uses_multiplier():
    policy = ReconnectPolicy(max_retries=3, initial_backoff_ms=100, multiplier=1.5, jitter="none")

    assert delays(policy, count=3) == [100, 150, 225]


def test_linear_grows_by_initial():
    policy = ReconnectPolicy(policy="linear", max_retries=4, initial_backoff_ms=100, max_backoff_ms=350,
                             jitter="none")

    assert delays(policy, count=5) == [100, 200, 300, 350, None]


def test_immediate_ignores_jitter():
    policy = ReconnectPolicy(policy="immediate", max_retries=3, jitter="decorrelated")

    assert delays(policy, count=4) == [0, 0, 0, None]


def test_none_never_retries():
    assert delays(ReconnectPolicy(policy="none"), count=1) == [None]


def test_zero_max_retries_gives_up_at_once():
    assert delays(ReconnectPolicy(max_retries=0), count=1) == [None]


def test_full_jitter_spans_zero_to_delay():
    policy = ReconnectPolicy(max_retries=2, initial_backoff_ms=1000, jitter="full")

    assert delays(policy, draws=(0.0, 0.999), count=2) == [0.0, pytest.approx(1998)]


def test_equal_jitter_keeps_half():
    policy = ReconnectPolicy(max_retries=2, initial_backoff_ms=1000, jitter="equal")

    assert delays(policy, draws=(0.0, 1.0), count=2) == [500, 2000]


def test_decorrelated_grows_from_previous_delay():
    policy = ReconnectPolicy(max_retries=3, initial_backoff_ms=100, max_backoff_ms=1000, jitter="decorrelated")

    # rand(100, 300) -> 300, rand(100, 900) -> 900, rand(100, 2700) capped at 1000.
    assert delays(policy, draws=(1.0,), count=3) == [300, 900, 1000]


def test_proportional_jitter_spreads_twenty_percent_and_caps():
    policy = ReconnectPolicy(max_retries=2, initial_backoff_ms=1000, max_backoff_ms=1100, jitter="proportional")

    assert delays(policy, draws=(0.0, 1.0), count=2) == [pytest.approx(800), 1100]


def test_reset_starts_over():
    backoff = Backoff(ReconnectPolicy(max_retries=1, initial_backoff_ms=100, jitter="none"))
    backoff.next_delay_ms()

    backoff.reset()

    assert backoff.next_delay_ms() == 100


@pytest.mark.parametrize("options", [{"policy": "random"}, {"jitter": "pink"}, {"multiplier": 0.5},
                                     {"multiplier": float("inf")}], ids=["policy", "jitter", "small", "infinite"])
def test_invalid_policy_is_rejected(options):
    with pytest.raises(ValueError):
        ReconnectPolicy(**options)


def test_policy_from_wire_map():
    policy = ReconnectPolicy.from_wire({"policy": "linear", "max_retries": 2, "initial_backoff_ms": 5,
                                        "max_backoff_ms": 50, "multiplier": 1.0, "jitter": "none"})

    assert policy == ReconnectPolicy("linear", 2, 5, 50, 1.0, "none")


@pytest.mark.parametrize("jitter, draw, expected", [
    ("full", 0.5, 500), ("decorrelated", 0.5, 500), ("equal", 0.0, 500), ("proportional", 1.0, 400),
    ("none", 0.5, 0),
])
def test_first_delay_after_loss_spreads_initial_backoff(jitter, draw, expected):
    backoff = Backoff(ReconnectPolicy(initial_backoff_ms=1000, jitter=jitter), lambda: draw)

    assert backoff.first_delay_ms() == pytest.approx(expected)


@pytest.mark.parametrize("policy", ["immediate", "none"])
def test_first_delay_after_loss_is_zero_without_backoff(policy):
    backoff = Backoff(ReconnectPolicy(policy=policy), lambda: 0.5)

    assert backoff.first_delay_ms() == 0
