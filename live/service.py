"""What a subscription needs from the app: the broker, the slot counter and the push interval."""

from __future__ import annotations

from dataclasses import dataclass

from live.broker import Broker
from live.slots import SubscriptionSlots


@dataclass(frozen=True)
class Live:
    broker: Broker
    slots: SubscriptionSlots
    push_interval: float
