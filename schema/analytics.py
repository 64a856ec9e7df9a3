"""Types of the segmented funnel, attribution and retention cohorts."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.segments import Cohort, Credit, Segment
from schema.metrics import FunnelStepRow, Money


@strawberry.type(description="The booking funnel of the sessions whose first pageview in the range has this dimension value.")
class FunnelSegment:
    key: str = strawberry.field(description="The dimension value; `(none)` for an empty UTM value, `unknown` for a missing country.")
    steps: list[FunnelStepRow] = strawberry.field(description="The five funnel steps over this segment's sessions.")

    @classmethod
    def of(cls, segment: Segment) -> FunnelSegment:
        return cls(key=segment.key, steps=[FunnelStepRow.of(step) for step in segment.steps])


@strawberry.type(description="Confirmed bookings and revenue credited to one dimension value.")
class AttributionRow:
    key: str = strawberry.field(
        description="The dimension value of the credited pageview; `(none)` when the booking has no visitor "
        "or no pageview in the lookback window."
    )
    bookings: int = strawberry.field(description="Confirmed bookings of the range credited to this key.")
    revenue: Money = strawberry.field(description="Their revenue as in key metrics, rounded half-even once per row.")
    share: float | None = strawberry.field(description="bookings / all attributed bookings of the range.")

    @classmethod
    def of(cls, credit: Credit, currency: str) -> AttributionRow:
        return cls(
            key=credit.key, bookings=credit.bookings, revenue=Money(amount=credit.revenue, currency=currency),
            share=credit.share,
        )


@strawberry.type(description="Customers whose first confirmed booking ever falls in one period, and how many came back.")
class RetentionCohort:
    start: date = strawberry.field(description="First day of the cohort's period inside the range.")
    customers: int = strawberry.field(
        description="Customers whose first confirmed booking ever falls on a day of this period inside the range."
    )
    returning: list[float] = strawberry.field(
        description="k-th element: share of the cohort with a confirmed booking in the k-th period after the "
        "cohort's own (k = 1, 2, ...), up to the range's end. 0 for an empty cohort."
    )

    @classmethod
    def of(cls, cohort: Cohort) -> RetentionCohort:
        return cls(start=cohort.start, customers=cohort.customers, returning=cohort.returning)
