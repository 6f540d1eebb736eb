"""Session retry wait intervals and RetryCount."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printbench.cwmp.retry import RetryState, max_attempts, retry_wait, retry_wait_range

# TR-069 Table 3 with the default m=5, k=2000 (quoted by RDK as the "Session Retry Wait
# Intervals" table): retry number -> seconds.
TABLE_3 = {
    1: (5, 10),
    2: (10, 20),
    3: (20, 40),
    4: (40, 80),
    5: (80, 160),
    6: (160, 320),
    7: (320, 640),
    8: (640, 1280),
    9: (1280, 2560),
    10: (2560, 5120),
    11: (2560, 5120),
    50: (2560, 5120),
}


@pytest.mark.parametrize(("n", "bounds"), sorted(TABLE_3.items()))
def test_default_table(n, bounds):
    assert retry_wait_range(n) == bounds


def test_other_parameters():
    assert retry_wait_range(1, 10, 3000) == (10, 30)
    assert retry_wait_range(3, 10, 1000) == (10, 10)
    assert retry_wait_range(2, 1, 1500) == (1.5, 2.25)
    for bad in [(1, 0, 2000), (1, 65536, 2000), (1, 5, 999), (1, 5, 65536), (0, 5, 2000)]:
        with pytest.raises(ValueError):
            retry_wait_range(*bad)


@given(st.integers(1, 40), st.integers(1, 65535), st.integers(1000, 65535), st.integers(0, 2**32))
def test_wait_is_within_range(n, m, k, seed):
    lo, hi = retry_wait_range(n, m, k)
    assert lo <= retry_wait(n, m, k, random.Random(seed)) <= hi


class Extremes:
    """RNG stand-in returning the range ends alternately."""

    def __init__(self):
        self.calls = 0

    def uniform(self, a, b):
        self.calls += 1
        return a if self.calls % 2 else b


def test_retry_state_with_fake_clock():
    st_ = RetryState(rng=Extremes())
    assert st_.retry_count == 0
    now = 1000.0
    waits = []
    for _ in range(12):
        nxt = st_.on_failure(now)
        waits.append(nxt - now)
        now = nxt
    assert waits[:4] == [5, 20, 20, 80]
    assert waits[-2:] == [2560, 5120]
    assert st_.retry_count == 12
    restored = RetryState.from_dict(st_.to_dict())
    assert restored.retry_count == 12 and restored.next_attempt == now
    st_.on_success()
    assert st_.retry_count == 0 and st_.next_attempt is None
    st_.configure(10, 1000)
    assert st_.on_failure(0) == 10
    with pytest.raises(ValueError):
        st_.configure(0, 2000)


def test_max_attempts_follows_the_tables_lower_ends():
    # attempts at 0, 5, 15, 35, 75, 155, 315, 635 s (each row's lower end after the last)
    assert [max_attempts(d) for d in (0, 4.9, 5, 14.9, 15, 120, 600, 634.9, 635)] == [
        1, 1, 2, 2, 3, 5, 7, 7, 8
    ]  # fmt: skip
    assert max_attempts(10, 1, 1000) == 11  # m=1 s, k=1: one a second
    assert max_attempts(-1) == 0


class Top:
    def uniform(self, a, b):
        return b


def test_new_event_ends_the_wait_no_earlier_than_the_rows_lower_end():
    st_ = RetryState(rng=Top())
    assert st_.on_new_event(0) is None  # no wait: nothing to cut
    st_.on_failure(100)  # retry 1: 5-10 s, drawn 10
    assert st_.next_attempt == 110
    assert st_.on_new_event(102) == 105  # too early: the row's lower end
    assert st_.on_new_event(107) == 105  # later events do not push it back
    st_.on_failure(105)  # retry 2: 10-20 s, drawn 20
    assert st_.on_new_event(118) == 118  # past the lower end (115): at once


def test_boot_restarts_the_table_but_keeps_retry_count():
    st_ = RetryState(rng=Top())
    for now in (0, 10, 30):
        st_.on_failure(now)
    assert st_.retry_count == 3 and st_.table_index == 3
    st_.on_boot()
    assert st_.retry_count == 3 and st_.next_attempt is None
    assert st_.on_failure(100) == 110  # first row again: 5-10 s
    assert st_.retry_count == 4
    st_.on_success()
    assert st_.retry_count == 0 and st_.table_index == 0
