"""The Conversations list as CSV rows, with the shopper's contact fields (managers only: the
page checks who asks). The CSV writer itself, which defuses spreadsheet formulas, is
reports/export.py's ``csv_text``; the console puts the two together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from chat_server.history.listing import Row

HEADER = (
    "conversation",
    "dealership",
    "first_message_local",
    "shopper_name",
    "phone",
    "email",
    "outcome",
    "answered_by",
    "department",
    "vehicle",
    "seconds_to_first_human",
)


def csv_rows(rows: Iterable[Row]) -> Iterator[Sequence[object]]:
    for row in rows:
        yield (
            row.id,
            row.dealership,
            row.when,
            row.shopper,
            row.phone,
            row.email,
            row.outcome_label,
            row.answered_by,
            row.department,
            row.vehicle,
            "" if row.first_human_s is None else f"{row.first_human_s:.1f}",
        )
