"""``redis://`` rate limits: counters in Redis, shared by every node.

One Lua script checks and counts all the limits of a hit atomically, so two nodes racing on
one key can never both take its last slot, and a refused hit counts nowhere. Each key is a
small hash ``{n, ends}`` with a TTL of its window, so Redis forgets idle keys by itself.
Window ends are computed from the limiter's clock (``now`` is an argument of the script):
the nodes' clocks must agree to well within a window, which NTP gives; it is also what lets
the contract tests drive the real Redis with a fake clock.

When Redis is unreachable the limiter fails OPEN: the hit is allowed, a warning is logged
once per outage, and Redis is left alone for a cooldown (5 s) so that every message does not
pay a timeout while it is down. Rate limits are a defence against abuse; refusing every
shopper because the counter store is down would turn a Redis outage into a chat outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from chat_server.broker.closing import ClosedOnExit
from chat_server.broker.limiter import ALLOWED, Decision, Limit
from chat_server.broker.redis import redact
from chat_server.clock import Clock, SystemClock

logger = logging.getLogger(__name__)

_REDIS_ERRORS = (RedisError, OSError, TimeoutError)
KEY_PREFIX = "dealer-chat:rl:"
# A rate check sits in front of every message: it must answer fast or be skipped.
TIMEOUT_S = 0.5
COOLDOWN_S = 5.0

# KEYS[i] is a counter; ARGV[1] is now (epoch seconds); ARGV[2i] and ARGV[2i+1] are the
# limit and the window (seconds) of KEYS[i]. Returns {0, "0"} when allowed, else
# {index of the first full key, seconds until every full window has ended}.
HIT_SCRIPT = """
local now = tonumber(ARGV[1])
local refused, wait = 0, 0
local counts = {}
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'n', 'ends')
  local count, ends = tonumber(state[1]) or 0, tonumber(state[2]) or now
  if ends <= now then count = 0 end
  counts[i] = count
  if count >= tonumber(ARGV[2 * i]) then
    if refused == 0 then refused = i end
    if ends - now > wait then wait = ends - now end
  end
end
if refused > 0 then
  return {refused, string.format('%.17g', wait)}
end
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  if counts[i] == 0 then
    redis.call('HSET', key, 'n', 1, 'ends', string.format('%.17g', now + window))
    redis.call('PEXPIRE', key, math.ceil(window * 1000))
  else
    redis.call('HINCRBY', key, 'n', 1)
  end
end
return {0, '0'}
"""


class RedisRateLimiter(ClosedOnExit):
    """A :class:`~chat_server.broker.limiter.RateLimiter` whose counters live in Redis.

    Use it as an async context manager; leaving closes its connection pool. It never
    raises for Redis errors (see the module docstring).
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        timeout: float = TIMEOUT_S,
        cooldown_s: float = COOLDOWN_S,
    ) -> None:
        self._url = url
        self._cooldown_s = cooldown_s
        self._clock = clock or SystemClock()
        self._timeout = timeout
        self._client: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One immediate retry opens a fresh connection after a Redis restart.
            retry=Retry(NoBackoff(), 1),
        )
        self._script = self._client.register_script(HIT_SCRIPT)
        self._skip_until = 0.0  # monotonic; Redis is not asked before then
        self._down = False

    async def aclose(self) -> None:
        """Close the connection pool. Idempotent."""
        with contextlib.suppress(*_REDIS_ERRORS):
            await self._client.aclose()

    async def hit(self, *limits: Limit) -> Decision:
        """Count one hit against every limit in Redis, all or nothing; allow if Redis is down."""
        if not limits or time.monotonic() < self._skip_until:
            return ALLOWED
        args: list[str | int] = [repr(self._clock.now().timestamp())]
        for limit in limits:
            args += [limit.limit, repr(float(limit.window_s))]
        keys = [KEY_PREFIX + limit.key for limit in limits]
        try:
            # A hard cap on top of the socket timeouts: connect plus one retry could
            # otherwise add up to twice the timeout against a black-holed host.
            async with asyncio.timeout(self._timeout * 2):
                refused, wait = await self._script(keys=keys, args=args)
        except _REDIS_ERRORS as exc:
            self._skip_until = time.monotonic() + self._cooldown_s
            if not self._down:
                self._down = True
                logger.warning(
                    "rate limiter: Redis at %s unreachable (%r); limits are NOT enforced "
                    "until it answers again (failing open)",
                    redact(self._url),
                    exc,
                )
            return ALLOWED
        if self._down:
            self._down = False
            logger.info("rate limiter: Redis answers again; limits are enforced")
        if int(refused) == 0:
            return ALLOWED
        return Decision(False, max(0.0, float(wait)), limits[int(refused) - 1].key)
