"""The system message a shopper reads when an operator ends their chat (issue 15). Pure.

Plain words on what happens next and when, in the language the dealership's widget speaks
(``widget_language``: the same ``en`` / ``es`` as the widget's own words, widget_theme.py).
"""

from __future__ import annotations

_TIMES = {
    "en": {
        "morning": "in the morning",
        "afternoon": "in the afternoon",
        "evening": "in the evening",
    },
    "es": {"morning": "por la mañana", "afternoon": "por la tarde", "evening": "por la noche"},
}


def closing_words(
    *,
    dealership: str,
    operator: str,
    pool: bool,
    name: str,
    phone: bool,
    email: bool,
    preferred_time: str,
    language: str = "en",
) -> str:
    """What the shopper reads: thanks (by first name when known), who will contact them, how
    and when; or, with no way to reach them, that the chat ended and they may write again."""
    first = name.split()[0] if name.split() else ""
    if language == "es":
        return _spanish(dealership, operator, pool, first, phone, email, preferred_time)
    thanks = f"Thanks, {first}" if first else "Thanks for chatting with us"
    when = _TIMES["en"].get(preferred_time, "soon")
    if phone or email:
        by = "by phone" if phone else "by e-mail"
        if pool:
            return (
                f"{thanks} — we've passed your details to {dealership}; "
                f"someone will contact you {by} {when}. This chat has ended."
            )
        who = operator or f"someone at {dealership}"
        return f"{thanks} — {who} will contact you {by} {when}. This chat has ended."
    ended_by = f"{operator} has ended the chat" if operator else "This chat has ended"
    return f"{thanks}. {ended_by}. You can write to {dealership} again here any time."


def _spanish(
    dealership: str,
    operator: str,
    pool: bool,
    first: str,
    phone: bool,
    email: bool,
    preferred_time: str,
) -> str:
    thanks = f"Gracias, {first}" if first else "Gracias por escribirnos"
    when = _TIMES["es"].get(preferred_time, "pronto")
    if phone or email:
        by = "por teléfono" if phone else "por correo electrónico"
        if pool:
            return (
                f"{thanks}: hemos pasado sus datos a {dealership}; alguien se pondrá en "
                f"contacto con usted {by} {when}. Este chat ha terminado."
            )
        who = operator or f"alguien de {dealership}"
        return (
            f"{thanks}: {who} se pondrá en contacto con usted {by} {when}. "
            "Este chat ha terminado."
        )
    ended_by = f"{operator} ha terminado el chat" if operator else "Este chat ha terminado"
    return f"{thanks}. {ended_by}. Puede volver a escribir a {dealership} aquí cuando quiera."
