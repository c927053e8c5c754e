"""Plain data a lead's documents (ADF, webhook JSON) are built from: no ORM, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime
    author: str
    body: str


@dataclass(frozen=True)
class VehicleFacts:
    """What the page (or the shopper) said about a vehicle; "" means not known."""

    year: str = ""
    make: str = ""
    model: str = ""
    vin: str = ""
    stock: str = ""
    trim: str = ""
    price: str = ""
    condition: str = ""  # new, used or ""
    interest: str = "buy"  # buy, lease, sell, trade-in, test-drive

    @property
    def known(self) -> bool:
        return bool((self.make and self.model) or self.vin)


@dataclass(frozen=True)
class LeadFacts:
    lead_id: int
    adf_id: str  # stable across resends, so the CRM recognises a retry
    status: str  # new, resend
    requested_at: datetime  # aware, in the dealership's own time zone
    service: str  # store, pool, unanswered
    department: str
    segment: str
    name: str
    email: str
    phone: str
    preferred_time: str
    dealership_name: str
    dealership_phone: str = ""
    salesperson: str = ""
    page_url: str = ""
    page_title: str = ""
    vehicle: VehicleFacts | None = None
    trade_in: VehicleFacts | None = None
    transcript: tuple[TranscriptLine, ...] = field(default_factory=tuple)


def vehicle_from_page(raw: dict[str, Any] | None, interest: str = "buy") -> VehicleFacts | None:
    """The widget's vehicle context (vin, year, make, model, trim, price, stock, condition)."""
    if not raw:
        return None

    def text(key: str) -> str:
        value = raw.get(key)
        return "" if value is None or isinstance(value, bool) else str(value).strip()

    condition = text("condition").lower()
    facts = VehicleFacts(
        year=text("year")[:4] if text("year")[:4].isdigit() else "",
        make=text("make"),
        model=text("model"),
        vin=text("vin"),
        stock=text("stock"),
        trim=text("trim"),
        price=text("price"),
        condition=condition if condition in ("new", "used") else "",
        interest=interest,
    )
    return facts if any((facts.year, facts.make, facts.model, facts.vin, facts.stock)) else None
