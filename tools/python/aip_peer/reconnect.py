"""Reconnection policies and jitter of SPEC.md section 4, "Reconnection".

`Backoff` is a value object with no clock inside: it returns the delay before each retry, or
None once the policy allows no more retries. The random source is injectable so that tests can
pin every draw.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .codec import JITTERS, POLICIES

# Spread of the proportional jitter: the delay is multiplied by a factor in [0.8, 1.2].
PROPORTIONAL_SPREAD = 0.2


@dataclass(frozen=True)
class ReconnectPolicy:
    """The `reconnect` map of REGISTERED, with its defaults; durations in milliseconds."""

    policy: str = "exponential"
    max_retries: int = 5
    initial_backoff_ms: int = 1000
    max_backoff_ms: int = 60000
    multiplier: float = 2.0
    jitter: str = "full"

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"unknown reconnect policy {self.policy!r}, expected one of {', '.join(POLICIES)}")
        if self.jitter not in JITTERS:
            raise ValueError(f"unknown jitter {self.jitter!r}, expected one of {', '.join(JITTERS)}")
        if self.max_retries < 0 or self.initial_backoff_ms < 0 or self.max_backoff_ms < 0:
            raise ValueError("max_retries, initial_backoff_ms and max_backoff_ms must not be negative")
        if not math.isfinite(self.multiplier) or self.multiplier < 1.0:
            raise ValueError(f"multiplier must be finite and at least 1, not {self.multiplier}")

    @classmethod
    def from_wire(cls, reconnect: dict[str, Any]) -> "ReconnectPolicy":
        """Build the policy from a decoded `reconnect` map (the codec already filled defaults)."""
        names = cls.__dataclass_fields__.keys()
        return cls(**{name: value for name, value in reconnect.items() if name in names})


class Backoff:
    """The delays of one episode of attempts under a policy; a new episode starts after each
    successful registration.

    The first connection is attempted at once; after the loss of a registered session the first
    attempt waits first_delay_ms(). Each failed attempt is followed by next_delay_ms().
    `random_source` returns a float uniform in [0, 1), as random.random does.
    """

    def __init__(self, policy: ReconnectPolicy, random_source: Callable[[], float] = random.random):
        self.policy = policy
        self._random = random_source
        self.retries = 0
        self._previous_ms = 0.0

    def reset(self) -> None:
        self.retries = 0
        self._previous_ms = 0.0

    def first_delay_ms(self) -> float:
        """Return the wait before the first attempt after a lost session, in milliseconds.

        It is a jittered share of initial_backoff_ms, so that peers that lost the same broker do
        not all reconnect at the same instant.
        """
        policy = self.policy
        if policy.policy in ("immediate", "none") or policy.jitter == "none":
            return 0.0
        initial = float(policy.initial_backoff_ms)
        if policy.jitter == "equal":
            return initial / 2 + self._uniform(0.0, initial / 2)
        if policy.jitter == "proportional":
            return self._uniform(0.0, 2 * PROPORTIONAL_SPREAD * initial)
        return self._uniform(0.0, initial)

    def next_delay_ms(self) -> Optional[float]:
        """Return the delay in milliseconds before the next retry, or None to give up."""
        policy = self.policy
        if policy.policy == "none" or self.retries >= policy.max_retries:
            return None
        self.retries += 1

        # Immediate means no wait at all, whatever the jitter.
        if policy.policy == "immediate":
            self._previous_ms = 0.0
            return 0.0

        cap = float(policy.max_backoff_ms)
        initial = float(policy.initial_backoff_ms)
        delay = min(cap, self._unjittered_ms(initial))
        delay = min(cap, self._jittered_ms(delay, initial, cap))
        self._previous_ms = delay
        return delay

    def _unjittered_ms(self, initial: float) -> float:
        n = self.retries
        if self.policy.policy == "linear":
            return initial * n
        try:
            return initial * self.policy.multiplier ** (n - 1)
        except OverflowError:
            return math.inf

    def _jittered_ms(self, delay: float, initial: float, cap: float) -> float:
        jitter = self.policy.jitter
        if jitter == "none":
            return delay
        if jitter == "full":
            return self._uniform(0.0, delay)
        if jitter == "equal":
            return delay / 2 + self._uniform(0.0, delay / 2)
        if jitter == "decorrelated":
            # Each delay grows from the previous one; the first grows from initial.
            previous = initial if self.retries == 1 else self._previous_ms
            return self._uniform(initial, max(initial, previous * 3))
        return delay * self._uniform(1 - PROPORTIONAL_SPREAD, 1 + PROPORTIONAL_SPREAD)

    def _uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._random()
