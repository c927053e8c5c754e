"""The closing message's words, in both of the widget's languages (chats/closing_words.py)."""

from __future__ import annotations

import pytest

from chat_server.chats.closing_words import closing_words

BASE = {"dealership": "Demo Motors", "operator": "Alex Rivera", "preferred_time": ""}


@pytest.mark.parametrize(
    ("given", "english", "spanish"),
    [
        (
            {"pool": True, "name": "Dana Shopper", "phone": True, "email": False,
             "preferred_time": "morning"},
            "Thanks, Dana — we've passed your details to Demo Motors; someone will contact you "
            "by phone in the morning. This chat has ended.",
            "Gracias, Dana: hemos pasado sus datos a Demo Motors; alguien se pondrá en contacto "
            "con usted por teléfono por la mañana. Este chat ha terminado.",
        ),
        (
            {"pool": False, "name": "", "phone": False, "email": True,
             "preferred_time": "evening"},
            "Thanks for chatting with us — Alex Rivera will contact you by e-mail in the "
            "evening. This chat has ended.",
            "Gracias por escribirnos: Alex Rivera se pondrá en contacto con usted por correo "
            "electrónico por la noche. Este chat ha terminado.",
        ),
        (
            {"pool": False, "name": "Kim", "phone": False, "email": False, "operator": ""},
            "Thanks, Kim. This chat has ended. You can write to Demo Motors again here any time.",
            "Gracias, Kim. Este chat ha terminado. Puede volver a escribir a Demo Motors aquí "
            "cuando quiera.",
        ),
        (
            {"pool": False, "name": "", "phone": False, "email": False},
            "Thanks for chatting with us. Alex Rivera has ended the chat. You can write to "
            "Demo Motors again here any time.",
            "Gracias por escribirnos. Alex Rivera ha terminado el chat. Puede volver a escribir "
            "a Demo Motors aquí cuando quiera.",
        ),
    ],
)  # fmt: skip
def test_the_words_say_who_will_call_how_and_when_in_the_widgets_language(
    given: dict[str, object], english: str, spanish: str
) -> None:
    words = {**BASE, **given}
    assert closing_words(**words) == english  # type: ignore[arg-type]
    assert closing_words(**words, language="en") == english  # type: ignore[arg-type]
    assert closing_words(**words, language="es") == spanish  # type: ignore[arg-type]


def test_a_language_the_widget_does_not_speak_falls_back_to_english() -> None:
    words = closing_words(
        dealership="Demo Motors", operator="", pool=True, name="", phone=True, email=False,
        preferred_time="nopreference", language="fr",
    )  # fmt: skip
    assert words.startswith("Thanks for chatting with us — we've passed your details")
    assert words.endswith("someone will contact you by phone soon. This chat has ended.")
