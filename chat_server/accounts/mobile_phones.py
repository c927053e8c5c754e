"""An operator's mobile number for ring texts, verified with a six-digit code sent to it.

A number is used for rings only once its owner typed back the code texted to it, so a typo
never texts a stranger. Codes last ten minutes and allow five tries; only a keyed hash of the
code is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from chat_server.contact_details import ContactError, valid_phone
from chat_server.store.models import Operator

CODE_LIFETIME = timedelta(minutes=10)
MAX_TRIES = 5


class PhoneError(ValueError):
    """Bad input or a refused code; ``field`` names what to fix (``phone`` or ``code``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MobilePhone:
    number: str  # E.164, or "" when none
    verified: bool


def _digest(secret: str, operator_id: int, number: str, code: str) -> str:
    message = f"{operator_id}:{number}:{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def mobile_of(operator: Operator) -> MobilePhone:
    return MobilePhone(operator.mobile_phone, operator.mobile_verified_at is not None)


async def start_verification(
    session: AsyncSession, operator_id: int, raw: str, region: str, secret: str, at: datetime
) -> tuple[str, str]:
    """Set (or change) the number, unverified, with a fresh code: (E.164 number, code)."""
    try:
        number = valid_phone(raw, region)
    except ContactError:
        raise PhoneError("phone", "that is not a phone number") from None
    if not number:
        raise PhoneError("phone", "type your mobile number")
    code = f"{secrets.randbelow(10**6):06d}"
    operator = await session.get_one(Operator, operator_id)
    operator.mobile_phone = number
    operator.mobile_verified_at = None
    operator.mobile_code_hash = _digest(secret, operator_id, number, code)
    operator.mobile_code_until = at + CODE_LIFETIME
    operator.mobile_code_tries = 0
    return number, code


async def confirm_code(
    session: AsyncSession, operator_id: int, code: str, secret: str, at: datetime
) -> MobilePhone:
    """Verify the number with the code it was sent; PhoneError says why not."""
    operator = await session.get_one(Operator, operator_id)
    if not operator.mobile_phone or not operator.mobile_code_hash:
        raise PhoneError("phone", "add a mobile number first")
    if operator.mobile_code_until is None or at >= operator.mobile_code_until:
        raise PhoneError("code", "that code has expired; send a new one")
    if operator.mobile_code_tries >= MAX_TRIES:
        raise PhoneError("code", "too many wrong codes; send a new one")
    expected = operator.mobile_code_hash
    given = _digest(secret, operator_id, operator.mobile_phone, code.strip())
    if not hmac.compare_digest(expected, given):
        operator.mobile_code_tries += 1
        raise PhoneError("code", "that code is not right")
    operator.mobile_verified_at = at
    operator.mobile_code_hash = ""
    operator.mobile_code_until = None
    return mobile_of(operator)


async def remove_mobile(session: AsyncSession, operator_id: int) -> None:
    operator = await session.get_one(Operator, operator_id)
    operator.mobile_phone = ""
    operator.mobile_verified_at = None
    operator.mobile_code_hash = ""
    operator.mobile_code_until = None
    operator.mobile_code_tries = 0
