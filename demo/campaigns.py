"""Named marketing campaigns of the demo tenants: seasonal bursts of extra sessions.

Each segment runs a few campaigns a year, timed before or inside its own busy season (so
the seasonal shape stays the segment's). On a campaign day a tenant gets `boost` x its
usual daily sessions on top, new visitors arriving through the campaign's channels with
utm_source / utm_medium / utm_campaign that agree with the channel (a loader derives the
channel from utm_medium), so `breakdown(by: UTM_CAMPAIGN)` and `attribution` have real
campaigns to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

Touch = tuple[str, str | None, str | None, str | None, str | None]  # channel, source, medium, campaign, referrer

# channel -> (utm_source, utm_medium, referrer) variants a campaign uses
CAMPAIGN_TOUCHES: dict[str, list[tuple[str, str, str | None]]] = {
    "paid_search": [("google", "cpc", "https://www.google.com/"), ("bing", "cpc", "https://www.bing.com/")],
    "social": [("facebook", "social", "https://l.facebook.com/"), ("instagram", "social", "https://l.instagram.com/")],
    "email": [("newsletter", "email", None)],
    "display": [("gdn", "display", None)],
}


@dataclass(frozen=True)
class Campaign:
    name: str  # the year is appended: spring_city_break_2026
    first: tuple[int, int]  # (month, day), inclusive
    last: tuple[int, int]
    channels: tuple[str, ...]
    boost: float  # extra sessions as a share of the day's usual ones

    def runs_on(self, day: date) -> bool:
        return self.first <= (day.month, day.day) <= self.last


CAMPAIGNS: dict[str, tuple[Campaign, ...]] = {
    "city_hotel": (
        Campaign("spring_city_break", (3, 20), (4, 30), ("paid_search", "social"), 0.30),
        Campaign("autumn_fairs", (9, 1), (10, 15), ("paid_search", "email"), 0.25),
        Campaign("black_friday", (11, 24), (11, 30), ("email", "display", "social"), 0.45),
    ),
    "resort": (
        Campaign("winter_sun", (1, 5), (2, 20), ("social", "paid_search"), 0.25),
        Campaign("summer_escape", (6, 15), (8, 15), ("social", "paid_search", "display"), 0.30),
    ),
    "wedding_venue": (
        Campaign("dream_wedding", (5, 1), (6, 15), ("social", "email"), 0.35),
        Campaign("open_day", (9, 1), (9, 20), ("email", "social"), 0.30),
    ),
}


def running(segment: str, day: date) -> Campaign | None:
    return next((c for c in CAMPAIGNS[segment] if c.runs_on(day)), None)


def touch(campaign: Campaign, day: date, draw: float, draw2: float) -> Touch:
    """The channel and utm values of one campaign session (draws are uniform in [0, 1))."""
    channel = campaign.channels[int(draw * len(campaign.channels))]
    variants = CAMPAIGN_TOUCHES[channel]
    source, medium, referrer = variants[int(draw2 * len(variants))]
    return channel, source, medium, f"{campaign.name}_{day.year}", referrer
