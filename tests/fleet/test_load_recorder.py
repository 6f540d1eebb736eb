"""The load run's HDR recorder against exact figures of the raw samples (issue 16 §1): counts
equal, p50/p99 within 1 %, and two recorders merged give what one recorder of all samples
gives (how the figures of several workers or hosts combine)."""

from __future__ import annotations

import random

import pytest

from printbench.loadtest.recorder import Recorder, kind_of, storm_drain

T0 = 1_800_000_000.0


def _samples(n: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    out: list[list[object]] = []
    for i in range(n):
        end = T0 + rng.uniform(0, 60)
        dur = rng.lognormvariate(-3.0, 0.8)  # ~50 ms median, a long tail
        inform = dur * rng.uniform(0.2, 0.6)
        ok = rng.random() > 0.02
        events = rng.choice([["2 PERIODIC"], ["1 BOOT"], ["6 CONNECTION REQUEST"]])
        out.append([end, dur, inform, ok, rng.choice([0, 0, 0, 1, 2]), events, f"h{i % 500}"])
    return out


def _exact(values: list[float], q: float) -> float:
    """The HdrHistogram definition: the smallest value with at least q % of counts at or below."""
    v = sorted(values)
    rank = max(1, -(-len(v) * q // 100))
    return v[int(rank) - 1]


@pytest.mark.parametrize("skip_boot", [False, True])
def test_percentiles_within_one_percent_of_the_exact_ones(skip_boot: bool) -> None:
    samples = _samples(20_000, 1)
    rec = Recorder(t0=T0)
    rec.add(0, samples)
    start, end = T0 + 10, T0 + 50
    s = rec.summary(start, end, skip_boot=skip_boot)
    win = [x for x in samples if int(start) <= int(x[0]) < int(end)]
    win = [x for x in win if not (skip_boot and "1 BOOT" in x[5])]
    ok = [x for x in win if x[3]]
    assert s["sessions"] == len(ok) and s["failed"] == len(win) - len(ok)
    assert s["retried"] == sum(1 for x in win if x[4] > 0)
    for q in (50, 99):
        exact_ms = _exact([x[1] for x in ok], q) * 1000
        got = s["session_ms"][f"p{q}"]
        assert abs(got - exact_ms) <= 0.01 * exact_ms + 0.05, (q, got, exact_ms)
        exact_inform = _exact([x[2] for x in ok], q) * 1000
        assert abs(s["inform_ms"][f"p{q}"] - exact_inform) <= 0.01 * exact_inform + 0.05


def test_merged_recorders_equal_one_recorder_of_all_samples() -> None:
    a_samples, b_samples = _samples(5_000, 2), _samples(5_000, 3)
    a, b, both = Recorder(t0=T0), Recorder(t0=T0), Recorder(t0=T0)
    a.add(0, a_samples)
    b.add(1, b_samples)
    both.add(0, a_samples + b_samples)
    a.merge(b)
    assert a.total == both.total == 10_000
    assert a.summary(T0, T0 + 61) == both.summary(T0, T0 + 61)
    assert a.per_second() == both.per_second()


def test_kinds_and_storm_drain() -> None:
    assert kind_of(["1 BOOT", "6 CONNECTION REQUEST"]) == "boot"
    assert kind_of(["6 CONNECTION REQUEST"]) == "cr"
    assert kind_of(["2 PERIODIC", "4 VALUE CHANGE"]) == "periodic"
    rec = Recorder(t0=T0)
    rec.mark_storm(T0 + 10)
    # a boot session that started before the storm does not count; one per host after it does
    rec.add(0, [[T0 + 11, 2.0, 0.1, True, 0, ["1 BOOT"], "a"]])
    rec.add(0, [[T0 + 14, 1.0, 0.1, True, 0, ["1 BOOT"], "a"],
                [T0 + 17, 1.0, 0.1, True, 0, ["1 BOOT", "M Reboot"], "b"]])  # fmt: skip
    assert storm_drain(rec, T0 + 10, 2) == pytest.approx(7.0)
    assert storm_drain(rec, T0 + 10, 3) is None


def test_memory_does_not_grow_with_the_sessions() -> None:
    """A million samples in one second of one kind use one bucket, not a million entries."""
    rec = Recorder(t0=T0)
    batch = [[T0 + 0.5, 0.01 + i * 1e-7, 0.005, True, 0, ["2 PERIODIC"], "h"] for i in range(10_000)]
    for _ in range(100):
        rec.add(0, batch)
    assert rec.total == 1_000_000 and len(rec.buckets) == 1
    assert rec.summary(T0, T0 + 1)["sessions"] == 1_000_000
