"""What a subscription needs from the app: broker, groups, slot counter, push interval, meter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from live.broker import Broker
from live.groups import Groups, Member
from live.slots import SubscriptionSlots


class PushCharges(Protocol):
    """Charges pushes to their credential's budget; ends the members whose pushes it refuses."""

    def owe(self, principal: Any, points: int, member: Member) -> None: ...


@dataclass(frozen=True)
class Live:
    broker: Broker
    slots: SubscriptionSlots
    push_interval: float
    groups: Groups
    meter: PushCharges | None = None

    def status(self) -> dict[str, object]:
        """The broker's state, and subscribers as members (several share one broker inbox)."""
        return {**self.broker.status(), "subscribers": self.groups.count(), "groups": self.groups.group_count()}
