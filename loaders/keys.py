"""Value types that loader keys are made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum


class Granularity(str, Enum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


class Dimension(str, Enum):
    CHANNEL = "CHANNEL"
    DEVICE = "DEVICE"
    LOGIN_STATUS = "LOGIN_STATUS"
    COUNTRY = "COUNTRY"
    UTM_SOURCE = "UTM_SOURCE"
    UTM_MEDIUM = "UTM_MEDIUM"
    UTM_CAMPAIGN = "UTM_CAMPAIGN"


class AttributionModel(str, Enum):
    FIRST_TOUCH = "FIRST_TOUCH"
    LAST_TOUCH = "LAST_TOUCH"


@dataclass(frozen=True, order=True)
class DayRange:
    """UTC days start..end, both inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DayRange:
        """The equally long range ending the day before this one starts."""
        end = self.start - timedelta(days=1)
        return DayRange(end - timedelta(days=self.days - 1), end)

    def bounds(self) -> tuple[datetime, datetime]:
        """start 00:00 <= ts < (end + 1 day) 00:00."""
        return datetime.combine(self.start, time()), datetime.combine(self.end + timedelta(days=1), time())

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end
