"""Which finished conversations make a lead, and the lead's segment and department."""

from __future__ import annotations

from chat_server.ladder.types import LeadService, Outcome

DEPARTMENTS = ("sales", "service", "parts")
STATUSES = ("new", "contacted", "appointment", "sold", "lost")
SEGMENTS = ("lead", "prospect", "customer")


def lead_service(outcome: Outcome, has_contact: bool, log_ups: bool) -> LeadService | None:
    """The lead a closed conversation makes, if any.

    ``pool`` always does (the receptionist's chat is the lead, even with no way to reach the
    shopper); ``missed`` only with a usable e-mail or phone; an Up only when the dealership
    logs Ups to the CRM as "chat up" leads, and, like any lead but a pool lead, only with a
    usable e-mail or phone.
    """
    match outcome:
        case Outcome.POOL:
            return LeadService.POOL
        case Outcome.MISSED:
            return LeadService.UNANSWERED if has_contact else None
        case Outcome.UP:
            return LeadService.STORE if log_ups and has_contact else None
        case _:
            return None


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
