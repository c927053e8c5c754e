"""The ladder in plain words (chat_server/ladder/preview.py): the sentences the ladder settings
page shows, and properties that tie them to the machine, so that they cannot drift apart."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat_server.ladder.preview import (
    Stage,
    StageKind,
    clock_words,
    describe,
    seconds_words,
    stages,
    texts_note,
)
from chat_server.ladder.types import LadderConfig, Strategy

CHICAGO = ZoneInfo("America/Chicago")
SATURDAY_EVENING = datetime(2026, 3, 7, 20, 15, tzinfo=CHICAGO)
TUESDAY_MORNING = datetime(2026, 3, 10, 10, 0, tzinfo=CHICAGO)
DEFAULTS = LadderConfig()
ROUND_ROBIN = LadderConfig(strategy=Strategy.ROUND_ROBIN)
POOL_AFTER_HOURS = LadderConfig(after_hours_store_first=False)


@pytest.mark.parametrize(
    ("config", "at", "kwargs", "sentence"),
    [
        (
            POOL_AFTER_HOURS,
            SATURDAY_EVENING,
            {"store_open": False},
            "A chat at 8:15 pm on Saturday rings the pool for 25 s, then asks for contact details.",
        ),
        (
            DEFAULTS,
            SATURDAY_EVENING,
            {"store_open": False},
            "A chat at 8:15 pm on Saturday rings every salesperson still on shift for 20 s, "
            "then the pool for 25 s, then asks for contact details.",
        ),
        (
            DEFAULTS,
            TUESDAY_MORNING,
            {"store_open": True},
            "A chat at 10:00 am on Tuesday rings every salesperson on shift for 20 s, then the "
            "pool for 25 s, then asks for contact details.",
        ),
        (
            ROUND_ROBIN,
            TUESDAY_MORNING,
            {"store_open": True},
            "A chat at 10:00 am on Tuesday rings salespeople one at a time, 8 s each, for 20 s, "
            "then the pool for 25 s, then asks for contact details.",
        ),
        (
            DEFAULTS,
            TUESDAY_MORNING,
            {"store_open": True, "returning_shopper": True},
            "A returning shopper's chat at 10:00 am on Tuesday rings their salesperson alone "
            "for 8 s first, then every salesperson on shift for 12 s, then the pool for 25 s, "
            "then asks for contact details.",
        ),
        (
            DEFAULTS,
            TUESDAY_MORNING,
            {"store_open": True, "salespeople_on_shift": False},
            "A chat at 10:00 am on Tuesday rings the pool for 25 s, then asks for contact details.",
        ),
        (
            DEFAULTS,
            TUESDAY_MORNING,
            {"store_open": True, "pool_staffed": False},
            "A chat at 10:00 am on Tuesday rings every salesperson on shift for 20 s, then asks "
            "for contact details.",
        ),
        (
            POOL_AFTER_HOURS,
            SATURDAY_EVENING,
            {"store_open": False, "pool_staffed": False},
            "A chat at 8:15 pm on Saturday asks for contact details at once: nobody could be rung.",
        ),
        (
            LadderConfig(store_window_s=300, pool_window_s=120),
            datetime(2026, 12, 25, 0, 5, tzinfo=CHICAGO),
            {"store_open": False, "with_date": True},
            "A chat at 12:05 am on Friday 25 December rings every salesperson still on shift "
            "for 5 min, then the pool for 2 min, then asks for contact details.",
        ),
    ],
)
def test_the_sentences(
    config: LadderConfig, at: datetime, kwargs: dict[str, bool], sentence: str
) -> None:
    assert describe(config, at=at, **kwargs) == sentence


def test_the_words_for_times_and_seconds() -> None:
    assert [
        clock_words(TUESDAY_MORNING.replace(hour=h, minute=m))
        for h, m in ((0, 0), (12, 0), (23, 59))
    ] == [
        "12:00 am",
        "12:00 pm",
        "11:59 pm",
    ]
    assert [seconds_words(s) for s in (25, 2.5, 0.25, 90, 120, 150, 600)] == [
        "25 s",
        "2.5 s",
        "0.2 s",
        "90 s",
        "2 min",
        "150 s",
        "10 min",
    ]


def test_the_texts_note_follows_the_rings_the_shell_would_text() -> None:
    # The shell texts a ring only when it is still open after text_after_s.
    found = stages(DEFAULTS, at=TUESDAY_MORNING, store_open=True)
    assert texts_note(found, 8) == (
        "A ring not answered within 8 s also goes out as a text to a verified mobile."
    )
    found = stages(ROUND_ROBIN, at=TUESDAY_MORNING, store_open=True)
    assert texts_note(found, 8) == (
        "A ring not answered within 8 s also goes out as a text to a verified mobile, except "
        "the one-at-a-time rings (8 s each), which end first."
    )
    assert (
        texts_note(found, 30)
        == "No ring lasts over 25 s, so no ring text goes out (texts wait 30 s)."
    )
    assert texts_note((Stage(StageKind.CONTACT),), 8) == "Nobody is rung, so no ring text goes out."


# --- properties: the words are the machine's ----------------------------------------------

configs = st.builds(
    lambda store, sticky_share, step_share, pool, strategy, first: LadderConfig(
        store_window_s=store,
        # Within the settings page's rules: a sticky ring shorter than the store window, and a
        # round-robin step no longer than it.
        sticky_s=round(sticky_share * (store - 0.1), 1),
        round_robin_step_s=max(3.0, round(step_share * store, 1)),
        pool_window_s=pool,
        strategy=strategy,
        after_hours_store_first=first,
    ),
    store=st.integers(5, 600).map(float),
    sticky_share=st.sampled_from([0.0, 0.1, 0.4, 0.9]),
    step_share=st.floats(0.01, 1.0),
    pool=st.integers(5, 600).map(float),
    strategy=st.sampled_from(list(Strategy)),
    first=st.booleans(),
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(CHICAGO)
)


@settings(max_examples=300, deadline=None)
@given(
    config=configs,
    at=moments,
    store_open=st.booleans(),
    on_shift=st.booleans(),
    pool=st.booleans(),
    returning=st.booleans(),
)
def test_the_stages_add_up_to_the_windows_the_ladder_rings(
    config: LadderConfig,
    at: datetime,
    store_open: bool,
    on_shift: bool,
    pool: bool,
    returning: bool,
) -> None:
    found = stages(
        config,
        at=at,
        store_open=store_open,
        salespeople_on_shift=on_shift,
        pool_staffed=pool,
        returning_shopper=returning,
    )
    kinds = [s.kind for s in found]
    assert kinds[-1] is StageKind.CONTACT and kinds.count(StageKind.CONTACT) == 1
    store_rung = on_shift and (store_open or config.after_hours_store_first)
    store = [s for s in found if s.kind is not StageKind.POOL and s.kind is not StageKind.CONTACT]
    if store_rung:
        # The store is rung for exactly its window, whatever the steps inside it.
        assert sum(s.seconds for s in store) == pytest.approx(config.store_window_s)
        sticky = returning and config.sticky_s > 0
        assert (kinds[0] is StageKind.STICKY) == sticky
        if sticky:
            assert found[0].seconds == pytest.approx(config.sticky_s)
        one_at_a_time = config.strategy is Strategy.ROUND_ROBIN
        assert kinds[1 if sticky else 0] is (
            StageKind.STORE_ONE_AT_A_TIME if one_at_a_time else StageKind.STORE_ALL
        )
    else:
        assert store == []
    assert (StageKind.POOL in kinds) == pool
    if pool:
        assert next(s for s in found if s.kind is StageKind.POOL).seconds == pytest.approx(
            config.pool_window_s
        )
    # The sentence says every stage's time, in ladder order.
    sentence = describe(
        config,
        at=at,
        store_open=store_open,
        salespeople_on_shift=on_shift,
        pool_staffed=pool,
        returning_shopper=returning,
    )
    position = 0
    for stage in found[:-1]:
        position = sentence.index(f"for {seconds_words(stage.seconds)}", position) + 1
    assert sentence.endswith("asks for contact details.") or sentence.endswith("be rung.")
