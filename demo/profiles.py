"""The fixed catalogue behind the demo data: tenants, segment behaviour, channels, currencies.

Pure constants and small helpers, no randomness: demo.data draws from these.
Numbers are chosen to look like a small European-heavy hospitality portfolio.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SEGMENTS = ("city_hotel", "resort", "wedding_venue")
CHANNELS = ("organic_search", "paid_search", "social", "email", "referral", "direct", "display", "affiliate")

CURRENCY_BY_COUNTRY = {"CH": "CHF", "GB": "GBP", "US": "USD"}  # everything else in the catalogue is euro
# Central levels (USD per unit) the daily FX random walk reverts to.
FX_LEVELS = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CHF": 1.12}
CURRENCIES = tuple(FX_LEVELS)

# (name, country, UTC offset in hours of the tenant's clock) per segment, in round-robin order.
CATALOGUE: dict[str, list[tuple[str, str, int]]] = {
    # ordered so that the default 18 tenants already span CH, DE, GB, US, FR, NL, AT, IT, ES, PT
    "city_hotel": [
        ("Hotel Limmat Zürich", "CH", 1),
        ("Spree Quartier Hotel Berlin", "DE", 1),
        ("The Fitzrovia London", "GB", 0),
        ("The Beacon Boston", "US", -5),
        ("Hôtel Rive Gauche Paris", "FR", 1),
        ("Canal House Amsterdam", "NL", 1),
        ("Albergo Navigli Milano", "IT", 1),
        ("Hotel Gran Vía Madrid", "ES", 1),
        ("Hotel am Ring Wien", "AT", 1),
    ],
    "resort": [
        ("Bergresort Kitzbühel", "AT", 1),
        ("Villa Limone Lago di Garda", "IT", 1),
        ("Costa Serena Mallorca", "ES", 1),
        ("Alpenhof Resort Engadin", "CH", 1),
        ("Quinta do Mar Algarve", "PT", 0),
        ("Pine Ridge Lodge Aspen", "US", -7),
        ("Seehotel Tegernsee", "DE", 1),
        ("Domaine des Oliviers Provence", "FR", 1),
        ("Cliffside Resort Cornwall", "GB", 0),
    ],
    "wedding_venue": [
        ("Ashcombe Manor", "GB", 0),
        ("Château de Valmont", "FR", 1),
        ("Villa Cipressi Toscana", "IT", 1),
        ("Gut Lindenhof", "DE", 1),
        ("Finca Los Almendros", "ES", 1),
        ("Schloss Wartenfels", "CH", 1),
        ("Schloss Seeburg", "AT", 1),
        ("Magnolia Barn Napa", "US", -8),
        ("Kasteel Wittem", "NL", 1),
    ],
}

# Where foreign web visitors come from (weights); the home country gets its own share on top.
VISITOR_COUNTRIES = {
    "DE": 18, "GB": 14, "US": 14, "FR": 10, "CH": 8, "IT": 7, "NL": 7, "ES": 5, "AT": 5,
    "BE": 3, "SE": 2, "DK": 2, "PL": 2, "CN": 1, "JP": 1, "AU": 1,
}

# Monday first; each tuple averages 1 so the segment's base size stays its mean daily volume.
WEEKLY = {
    "city_hotel": (1.15, 1.20, 1.20, 1.10, 0.90, 0.70, 0.75),  # business travellers book on weekdays
    "resort": (0.85, 0.85, 0.90, 0.95, 1.10, 1.20, 1.15),  # leisure browsing on weekends
    "wedding_venue": (0.80, 0.80, 0.85, 0.90, 1.10, 1.25, 1.30),  # couples plan together on weekends
}
# January first; normalised to mean 1 in demo_data.
MONTHLY = {
    "city_hotel": (0.80, 0.85, 1.05, 1.15, 1.15, 1.05, 0.90, 0.80, 1.10, 1.20, 1.00, 0.85),  # fairs in spring/autumn
    "resort": (1.20, 1.25, 1.00, 0.75, 0.70, 1.10, 1.35, 1.35, 0.90, 0.65, 0.60, 1.15),  # ski and beach peaks
    "wedding_venue": (0.55, 0.65, 0.85, 1.05, 1.35, 1.50, 1.45, 1.45, 1.30, 0.90, 0.55, 0.50),  # May-September
}

# Traffic of a new visitor by channel, per segment (weights in CHANNELS order).
NEW_CHANNEL_WEIGHTS = {
    "city_hotel": (30, 20, 8, 4, 8, 14, 6, 10),
    "resort": (27, 18, 14, 6, 8, 12, 7, 8),
    "wedding_venue": (30, 12, 24, 3, 14, 10, 5, 2),
}
# Returning visitors come back mostly directly or from the newsletter.
RETURNING_CHANNEL_WEIGHTS = (20, 10, 5, 20, 5, 35, 3, 2)
# How much more (or less) likely a session of the channel reaches confirmation from the form.
CHANNEL_CONVERSION = {
    "organic_search": 1.0, "paid_search": 1.05, "social": 0.7, "email": 1.3,
    "referral": 1.0, "direct": 1.2, "display": 0.6, "affiliate": 0.9,
}

# (utm_source, utm_medium, campaign kind, referrer) variants per channel, repeated for weight.
# A loader derives the channel from these: utm_medium first, then a search-engine referrer
# (organic), any other referrer (referral), nothing (direct).
ATTRIBUTION: dict[str, list[tuple[str | None, str | None, str | None, str | None]]] = {
    "organic_search": [(None, None, None, "https://www.google.com/")] * 8
    + [(None, None, None, "https://www.bing.com/"), (None, None, None, "https://duckduckgo.com/")],
    "paid_search": [("google", "cpc", "brand", "https://www.google.com/")] * 3
    + [("google", "cpc", "season", "https://www.google.com/")] * 3
    + [("bing", "cpc", "brand", "https://www.bing.com/")],
    "social": [("facebook", "social", "season", "https://l.facebook.com/")] * 3
    + [("instagram", "social", "season", "https://l.instagram.com/")] * 3
    + [("pinterest", "social", None, "https://www.pinterest.com/"), ("tiktok", "social", None, "https://www.tiktok.com/")],
    "email": [("newsletter", "email", "newsletter", None)] * 4 + [("crm", "email", "prestay", None)],
    "referral": [(None, None, None, "https://www.tripadvisor.com/")] * 3
    + [(None, None, None, "https://www.lonelyplanet.com/"), (None, None, None, "https://www.timeout.com/")],
    "direct": [(None, None, None, None)],
    "display": [("gdn", "display", "retargeting", None)] * 2 + [("criteo", "display", "retargeting", None)],
    "affiliate": [("trivago", "affiliate", "metasearch", "https://www.trivago.com/")] * 2
    + [("kayak", "affiliate", "metasearch", "https://www.kayak.com/"), ("awin", "affiliate", None, "https://www.awin1.com/")],
}

# Survey answers 0..10: most guests are promoters, a tail of detractors.
SCORE_WEIGHTS = (1, 1, 1, 1, 1, 3, 4, 8, 18, 27, 35)
# Local hour-of-day weights of visits (evening browsing peak).
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 2, 5, 10, 16, 20, 22, 23, 24, 22, 21, 21, 22, 24, 27, 30, 31, 27, 18, 9)


@dataclass(frozen=True)
class SegmentProfile:
    sessions: tuple[int, int]  # range of a tenant's mean daily sessions
    adr: tuple[int, int]  # range of a tenant's average daily rate (per room-night, tenant currency)
    lead: tuple[int, int, float]  # min, max, mean lead days between booking and check-in
    nights: tuple[int, ...]  # drawn uniformly: repeat values to weight them
    rooms: tuple[int, ...]
    cancel: tuple[float, float]  # range of a tenant's cancellation share
    offline_per_day: float  # phone/e-mail bookings without a web visitor
    rebook: float  # chance a web guest comes back months later to book again
    survey: float  # share of finished confirmed stays that answer


PROFILES = {
    "city_hotel": SegmentProfile((38, 56), (130, 260), (1, 90, 16.0), (1, 1, 1, 2, 2, 2, 3, 4),
                                 (1,) * 9 + (2,), (0.08, 0.13), 0.4, 0.25, 0.30),
    "resort": SegmentProfile((34, 52), (240, 520), (3, 240, 55.0), (3, 4, 5, 6, 7, 7, 7, 10, 14),
                             (1,) * 7 + (2, 2, 3), (0.10, 0.16), 0.5, 0.30, 0.35),
    "wedding_venue": SegmentProfile((26, 38), (160, 260), (30, 540, 150.0), (1, 1, 2, 2, 2, 3),
                                    (1, 2, 4, 6, 8, 10), (0.09, 0.15), 0.3, 0.08, 0.40),
}
# Share of wedding-venue bookings that are a whole wedding package rather than guest rooms,
# and the package price range per day (tenant currency).
WEDDING_PACKAGE_SHARE = 0.35
WEDDING_PACKAGE_RATE = (6000, 16000)
# Monthly room-rate factor at check-in (January first): rates follow demand.
ADR_SEASON = {
    "city_hotel": (0.85, 0.9, 1.0, 1.05, 1.1, 1.05, 0.95, 0.9, 1.1, 1.15, 1.0, 0.95),
    "resort": (1.25, 1.3, 1.05, 0.85, 0.85, 1.05, 1.35, 1.4, 1.0, 0.8, 0.75, 1.2),
    "wedding_venue": (0.8, 0.8, 0.9, 1.0, 1.15, 1.25, 1.25, 1.25, 1.15, 0.95, 0.8, 0.8),
}


@dataclass(frozen=True)
class TenantSpec:
    index: int  # 1-based position; makes ids and keys unique
    id: str
    name: str
    segment: str
    country: str
    currency: str
    utc_offset: int


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def tenant_specs(count: int) -> list[TenantSpec]:
    """Round-robin over the segments, walking each segment's catalogue; repeats get a numeral."""
    specs = []
    for i in range(count):
        segment = SEGMENTS[i % len(SEGMENTS)]
        entries = CATALOGUE[segment]
        position = i // len(SEGMENTS)
        name, country, offset = entries[position % len(entries)]
        if position >= len(entries):
            name = f"{name} {position // len(entries) + 1}"
        tenant_id = f"t{i + 1:02d}-{slug(name)}"[:64]
        currency = CURRENCY_BY_COUNTRY.get(country, "EUR")
        specs.append(TenantSpec(i + 1, tenant_id, name, segment, country, currency, offset))
    return specs
