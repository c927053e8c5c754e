"""The vocabulary of the access matrix (test_access_matrix.py) and of the forged-request
targets (test_sessions_and_csrf.py), shared with the per-page entries in
tests/security/settings_routes/ so that each settings page lists its own routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from tests.security.conftest import World

from tests.security.conftest import PRINCIPALS, SAM

SIGN_IN = "sign-in"
REDIRECT = "redirect"
Outcome = int | str


def console(
    anonymous: Outcome,
    sales: Outcome,
    manager: Outcome,
    reception: Outcome,
    pool_manager: Outcome | None = None,
    admin: Outcome | None = None,
) -> dict[str, Outcome]:
    """A console route: only the session cookie counts; API tokens are nobody here.

    A pool manager answers like a receptionist and a platform admin like a manager unless
    the entry says otherwise.
    """
    return {
        "anonymous": anonymous,
        "salesperson_a": sales,
        "manager_a": manager,
        "receptionist_a": reception,
        "pool_manager_p": reception if pool_manager is None else pool_manager,
        "admin": manager if admin is None else admin,
        "api_token_a": anonymous,
        "api_token_b": anonymous,
    }


def api(nobody: Outcome, token_a: Outcome, token_b: Outcome) -> dict[str, Outcome]:
    """An ``/api/v1`` route: only the bearer token counts; a console cookie is nobody here."""
    return {**dict.fromkeys(PRINCIPALS, nobody), "api_token_a": token_a, "api_token_b": token_b}


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(PRINCIPALS, outcome)


@dataclass(frozen=True)
class Case:
    """One request (path with ``{world ids}``) and the outcome expected for each principal."""

    path: str
    expect: dict[str, Outcome]
    form: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    never_shows: tuple[str, ...] = ()  # text that must not appear in any answer
    note: str = ""


@dataclass(frozen=True)
class Sockets:
    """A websocket: its matrix lives in test_socket_matrix.py, which names it here."""

    test: str


Effect = Callable[["World", "httpx.AsyncClient"], Awaitable[bool]]


@dataclass
class Target:
    """A state-changing console route: the form to send, and how to tell it took effect.

    A JSON route (``json`` set) takes its CSRF token in ``X-CSRF-Token``, as the console's
    scripts send it, and answers ``ok_status`` when it goes through; ``prepare`` sets up what
    the change acts on (Sam's device, Sam's mobile) before each attempt. ``who`` signs in to
    send it: Sam (a salesperson) unless the route needs a manager or an admin; never one of
    the matrix's principals, whose sessions other tests hold.
    """

    path: str
    form: dict[str, str]
    took_effect: Effect
    refused_with: tuple[int, ...] = (403,)
    json: dict[str, object] | None = None
    ok_status: int = 303
    prepare: Callable[[World], Awaitable[None]] | None = None
    who: str = SAM
