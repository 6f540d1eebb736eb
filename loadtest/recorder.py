"""What a load run measured, in HDR histograms: memory that does not grow with the sessions.

The first recorder kept every session sample and sorted them for each percentile; at a
million devices that is gigabytes and minutes. This one keeps, per second of the run and per
kind of session (``periodic``, ``boot``, ``cr`` for a connection-request session), the counts
and two HdrHistograms (whole session, Inform→InformResponse), created only for seconds and
kinds that saw a session. A figure over any window is the merge of the buckets inside it,
so windows are whole seconds. Recorders merge (:meth:`Recorder.merge`), which is how the
figures of several workers or hosts combine with percentiles still right: HdrHistogram with
two significant digits keeps every value within 1 % (``SIGNIFICANT_DIGITS``).

A sample, as the fleet workers send it: ``[end, duration, inform_s | None, ok, retry_count,
events, host]`` with times in seconds (``end`` on the wall clock).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hdrh.histogram import HdrHistogram

#: Histogram resolution: 10 µs units, up to 120 s, two significant digits (≤ 1 % error).
UNIT_S = 1e-5
HIGHEST_UNITS = 12_000_000
SIGNIFICANT_DIGITS = 2
KINDS = ("periodic", "boot", "cr")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(1, HIGHEST_UNITS, SIGNIFICANT_DIGITS, word_size=4)


def _units(seconds: float) -> int:
    return min(HIGHEST_UNITS, max(1, round(seconds / UNIT_S)))


def kind_of(events: Iterable[str]) -> str:
    """The kind of a session by its Inform's events: a boot outweighs a connection request."""
    events = list(events)
    if "1 BOOT" in events:
        return "boot"
    if "6 CONNECTION REQUEST" in events:
        return "cr"
    return "periodic"


@dataclass
class Bucket:
    """One second of one kind of session."""

    ok: int = 0
    failed: int = 0
    retried: int = 0
    max_retry: int = 0
    session: HdrHistogram = field(default_factory=new_histogram)
    inform: HdrHistogram = field(default_factory=new_histogram)

    def merge(self, other: Bucket) -> None:
        self.ok += other.ok
        self.failed += other.failed
        self.retried += other.retried
        self.max_retry = max(self.max_retry, other.max_retry)
        self.session.add(other.session)
        self.inform.add(other.inform)

    def to_wire(self) -> list[Any]:
        """Plain values (counts, HdrHistogram's own compressed encoding) for another process
        or host: what a cluster agent sends the driver each second."""
        return [self.ok, self.failed, self.retried, self.max_retry,
                self.session.encode().decode("ascii"), self.inform.encode().decode("ascii")]  # fmt: skip

    @classmethod
    def from_wire(cls, data: list[Any]) -> Bucket:
        ok, failed, retried, max_retry, session, inform = data
        b = cls(int(ok), int(failed), int(retried), int(max_retry))
        b.session.add(HdrHistogram.decode(session.encode("ascii")))
        b.inform.add(HdrHistogram.decode(inform.encode("ascii")))
        return b


def _ms(h: HdrHistogram, q: float) -> float | None:
    if h.get_total_count() == 0:
        return None
    return round(h.get_value_at_percentile(q) * UNIT_S * 1000, 1)


def _max_ms(h: HdrHistogram) -> float | None:
    if h.get_total_count() == 0:
        return None
    return round(h.get_max_value() * UNIT_S * 1000, 1)


@dataclass
class Recorder:
    """Per-second, per-kind counts and histograms of a load run's sessions."""

    t0: float = field(default_factory=time.time)
    buckets: dict[tuple[int, str], Bucket] = field(default_factory=dict)
    total: int = 0
    cr: list[dict[str, Any]] = field(default_factory=list)
    cr_http: HdrHistogram = field(default_factory=new_histogram)
    cr_round_trip: HdrHistogram = field(default_factory=new_histogram)
    storm_at: float | None = None
    storm_booted: dict[str, float] = field(default_factory=dict)  # host -> first boot end
    _cr_waiting: dict[str, list[float]] = field(default_factory=dict)

    # -- recording -----------------------------------------------------------------------------
    def add(self, worker: int, samples: list[list[Any]]) -> None:
        """Samples from one fleet worker (the supervisor's ``on_samples`` callback)."""
        for end, dur, inform, ok, retry, events, host in samples:
            self.total += 1
            kind = kind_of(events)
            key = (int(end), kind)
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket()
            if ok:
                bucket.ok += 1
                bucket.session.record_value(_units(dur))
                if inform is not None:
                    bucket.inform.record_value(_units(inform))
            else:
                bucket.failed += 1
            if retry > 0:
                bucket.retried += 1
                bucket.max_retry = max(bucket.max_retry, retry)
            if ok and kind == "cr":
                self._cr_done(host, end)
            if ok and kind == "boot" and self.storm_at is not None and end - dur >= self.storm_at:
                self.storm_booted.setdefault(host, end)

    def _cr_done(self, host: str, end: float) -> None:
        sent = self._cr_waiting.get(host)
        if sent:
            t = sent.pop(0)
            self.cr_round_trip.record_value(_units(end - t))
            for rec in reversed(self.cr):
                if rec["host"] == host and rec["sent"] == t:
                    rec["session_end"] = end - t
                    break

    def cr_sent(self, host: str, t: float, http_s: float | None, status: int | str) -> None:
        self.cr.append({"host": host, "sent": t, "http": http_s, "status": status})
        if http_s is not None:
            self.cr_http.record_value(_units(http_s))
        if status in (200, 204):
            self._cr_waiting.setdefault(host, []).append(t)

    def mark_storm(self, t: float) -> None:
        """From now on, count which devices completed a boot session started after ``t``."""
        self.storm_at = t
        self.storm_booted = {}

    def merge(self, other: Recorder) -> None:
        """Add another recorder's figures (another worker's or host's) to this one."""
        for key, bucket in other.buckets.items():
            mine = self.buckets.get(key)
            if mine is None:
                mine = self.buckets[key] = Bucket()
            mine.merge(bucket)
        self.total += other.total
        self.cr.extend(other.cr)
        self.cr_http.add(other.cr_http)
        self.cr_round_trip.add(other.cr_round_trip)
        for host, end in other.storm_booted.items():
            if host not in self.storm_booted or end < self.storm_booted[host]:
                self.storm_booted[host] = end
        self.t0 = min(self.t0, other.t0)

    def to_wire(self) -> dict[str, Any]:
        """The sessions part of this recorder as plain values (see :meth:`merge_wire`)."""
        return {
            "buckets": [[second, kind, b.to_wire()] for (second, kind), b in self.buckets.items()],
            "total": self.total,
            "storm_booted": self.storm_booted,
        }

    def merge_wire(self, data: dict[str, Any]) -> None:
        """Merge what another recorder's :meth:`to_wire` gave (a host agent's last second)."""
        other = Recorder(t0=self.t0)
        for second, kind, bucket in data.get("buckets", []):
            other.buckets[(int(second), str(kind))] = Bucket.from_wire(bucket)
        other.total = int(data.get("total", 0))
        other.storm_booted = {str(h): float(t) for h, t in data.get("storm_booted", {}).items()}
        self.merge(other)

    def session_done(self, host: str, end: float) -> None:
        """A connection-request session that ended elsewhere (a cluster host): its round trip."""
        self._cr_done(host, end)

    # -- figures -------------------------------------------------------------------------------
    def _merged(self, start: float, end: float, kinds: Iterable[str]) -> Bucket:
        out = Bucket()
        wanted = set(kinds)
        first, last = int(start), int(end)
        for (second, kind), bucket in self.buckets.items():
            if kind in wanted and first <= second < max(last, first + 1):
                out.merge(bucket)
        return out

    def rate(self, start: float, end: float) -> float:
        """Completed sessions per second over ``[start, end)`` (whole seconds)."""
        b = self._merged(start, end, KINDS)
        return b.ok / max(1, int(end) - int(start))

    def summary(self, start: float, end: float, *, skip_boot: bool = False) -> dict[str, Any]:
        """Counts and percentiles of the sessions that ended in ``[start, end)``."""
        kinds = [k for k in KINDS if not (skip_boot and k == "boot")]
        b = self._merged(start, end, kinds)
        span = max(end - start, 1e-9)
        return {
            "seconds": round(span, 1),
            "sessions": b.ok,
            "failed": b.failed,
            "sessions_per_s": round(b.ok / span, 1),
            "retried": b.retried,
            "max_retry_count": b.max_retry,
            "session_ms": {"p50": _ms(b.session, 50), "p90": _ms(b.session, 90),
                           "p99": _ms(b.session, 99), "max": _max_ms(b.session)},
            "inform_ms": {"p50": _ms(b.inform, 50), "p90": _ms(b.inform, 90),
                          "p99": _ms(b.inform, 99), "max": _max_ms(b.inform)},
            "by_kind": {
                k: {"sessions": (kb := self._merged(start, end, [k])).ok,
                    "session_p99_ms": _ms(kb.session, 99)}
                for k in kinds
            },
        }  # fmt: skip

    def cr_summary(self) -> dict[str, Any]:
        return {
            "sent": len(self.cr),
            "accepted": sum(1 for c in self.cr if c["status"] in (200, 204)),
            "refused": sum(1 for c in self.cr if c["status"] not in (200, 204)),
            "http_ms": {"p50": _ms(self.cr_http, 50), "p99": _ms(self.cr_http, 99)},
            "round_trip_ms": {"p50": _ms(self.cr_round_trip, 50),
                              "p99": _ms(self.cr_round_trip, 99),
                              "completed": self.cr_round_trip.get_total_count()},
        }  # fmt: skip

    def per_second(self) -> tuple[list[float], list[int], list[float | None], list[float | None]]:
        """For the plots: seconds since ``t0``, sessions completed, p50 and p99 (seconds)."""
        if not self.buckets:
            return [], [], [], []
        first = int(self.t0)
        last = max(second for second, _ in self.buckets) + 1
        xs, counts, p50, p99 = [], [], [], []
        for second in range(first, last):
            b = self._merged(second, second + 1, KINDS)
            xs.append(float(second - first))
            counts.append(b.ok)
            p50.append(None if b.ok == 0 else b.session.get_value_at_percentile(50) * UNIT_S)
            p99.append(None if b.ok == 0 else b.session.get_value_at_percentile(99) * UNIT_S)
        return xs, counts, p50, p99

    def histogram_ms(self) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
        """(value ms, count) of every recorded bucket: whole session, Inform→InformResponse."""
        whole = Bucket()
        for bucket in self.buckets.values():
            whole.merge(bucket)
        to_ms = lambda h: [  # noqa: E731
            (item.value_iterated_to * UNIT_S * 1000, item.count_at_value_iterated_to)
            for item in h.get_recorded_iterator()
        ]
        return to_ms(whole.session), to_ms(whole.inform)


def storm_drain(rec: Recorder, t_storm: float, devices: int) -> float | None:
    """Seconds from the storm until every device completed a ``1 BOOT`` session started after
    it (None if not all did). Needs :meth:`Recorder.mark_storm` at the storm."""
    if rec.storm_at is None or rec.storm_at > t_storm or len(rec.storm_booted) < devices:
        return None
    return sorted(rec.storm_booted.values())[devices - 1] - t_storm
