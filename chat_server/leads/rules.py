"""Which finished conversations make a lead, and the lead's segment and department."""

from __future__ import annotations

from chat_server.ladder.types import LeadService, Outcome

DEPARTMENTS = ("sales", "service", "parts")
STATUSES = ("new", "contacted", "appointment", "sold", "lost")
SEGMENTS = ("lead", "prospect", "customer")


def lead_service(outcome: Outcome, has_contact: bool, log_ups: bool) -> LeadService | None:
    """The lead a closed conversation makes, if any.

    A lead never goes out empty (``goes_out``): without a usable e-mail or phone no outcome
    makes one. With one, ``pool`` and ``missed`` always do; an Up only when the dealership
    logs Ups to the CRM as "chat up" leads.
    """
    if not goes_out(has_contact):
        return None
    match outcome:
        case Outcome.POOL:
            return LeadService.POOL
        case Outcome.MISSED:
            return LeadService.UNANSWERED
        case Outcome.UP:
            return LeadService.STORE if log_ups else None
        case _:
            return None


def goes_out(has_contact: bool) -> bool:
    """A lead never goes out empty: a CRM can do nothing with "Unknown shopper, none given"
    (issue 15), not even for a chat a receptionist handled. What the shopper typed in the
    chat counts (leads/create.py reads it when no contact was saved)."""
    return has_contact


def segment(shopper_messages: int, answered: bool, bought_before: bool) -> str:
    """lead (an inquiry only), prospect (engaged: chatted with someone or wrote more than once),
    customer (has bought here before)."""
    if bought_before:
        return "customer"
    if answered or shopper_messages > 1:
        return "prospect"
    return "lead"


def department(raw: str | None) -> str:
    return raw if raw in DEPARTMENTS else "sales"
