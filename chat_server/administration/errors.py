"""What a settings action refuses with: bad input (naming the field) or a target out of scope."""

from __future__ import annotations


class SettingsError(ValueError):
    """Bad input to a settings action; the message says what to fix.

    ``field`` names the form field that is wrong (None when the whole request is), so a page
    can show the message beside it and the CLI can print it as is.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotInScope(LookupError):
    """The target does not exist, or the actor may not manage it: both look the same (404),
    so ids cannot be probed."""
