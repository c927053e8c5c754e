"""Access-matrix entries of the Conversations pages (operator_console/conversation_pages.py):
everyone signed in reads the conversations of their own dealerships; B's conversation is 404
for A's people (the platform admin reads every tenant); the CSV is for managers and admins."""

from __future__ import annotations

from tests.security.conftest import A_SHOPPER, B_SHOPPER
from tests.security.matrix_kit import SIGN_IN, Case, console

LIST = "/console/conversations"
CSV = "/console/conversations.csv"

MATRIX: dict[tuple[str, str], tuple[Case, ...]] = {
    ("GET", LIST): (
        Case(LIST, console(SIGN_IN, 200, 200, 200), never_shows=(B_SHOPPER,)),
        Case(LIST + "?q=Bdealer", console(SIGN_IN, 200, 200, 200), never_shows=(B_SHOPPER,)),
        Case(
            LIST + "?dealership={b_id}",
            console(SIGN_IN, 404, 404, 404, admin=200),
            never_shows=(B_SHOPPER,),
        ),
        Case(LIST + "?dealership={a_id}", console(SIGN_IN, 200, 200, 200)),
        Case(
            LIST + "?from=not-a-date&outcome=nonsense&page=-3",
            console(SIGN_IN, 200, 200, 200),
            note="a filter that makes no sense is ignored",
        ),
    ),
    ("GET", LIST + "/{conversation_id}"): (
        Case(LIST + "/{closed_a}", console(SIGN_IN, 200, 200, 200)),
        Case(LIST + "/{owned_a}", console(SIGN_IN, 200, 200, 200)),
        Case(
            LIST + "/{closed_b}",
            console(SIGN_IN, 404, 404, 404, admin=200),
            never_shows=(B_SHOPPER,),
        ),
        Case(LIST + "/{open_b}", console(SIGN_IN, 404, 404, 404, admin=200)),
        Case(LIST + "/no-such-conversation", console(SIGN_IN, 404, 404, 404)),
    ),
    ("GET", CSV): (
        Case(CSV, console(SIGN_IN, 403, 200, 403), never_shows=(B_SHOPPER,)),
        Case(
            CSV + "?dealership={b_id}",
            console(SIGN_IN, 403, 404, 403, admin=200),
            never_shows=(B_SHOPPER,),
        ),
        Case(
            CSV + "?dealership={a_id}",
            console(SIGN_IN, 403, 200, 403),
            never_shows=(B_SHOPPER,),
            note=f"the manager's CSV holds A's shoppers ({A_SHOPPER}), never B's",
        ),
    ),
}
