"""The proxy's devices follow the TR-069 retry table against a failing ACS (issue 12, item 3).

Against an ACS whose InformResponse carried another cwmp:ID than the Inform, the proxy's own
device and its printers' virtual devices retried about once a second (96 failed sessions in
48 s): the proxy's model served "0" for CWMPRetryMinimumWaitInterval and
CWMPRetryIntervalMultiplier (TR-181 2.17 gives them no default), which the runtime clamped to
a 1 s wait. Real loopback HTTP to a real (scripted) ACS, real printer faces, fake CPE time.
"""

from __future__ import annotations

import itertools

from printbench.cwmp.retry import max_attempts, retry_wait_range
from printbench.cwmp_cpe import FakeTime
from printbench.cwmp_proxy.proxy import Proxy, ProxyConfig
from tests.proxy.conftest import entry_for
from tests.tr069.scripted_acs import ScriptedAcs

RUN = 300.0  # seconds of fake time


async def _run(printers, *, strict: bool) -> tuple[ScriptedAcs, Proxy, FakeTime]:
    t = FakeTime()
    acs = await ScriptedAcs(t, default="wrong-id").start()
    printer = await printers("color-laser-mfp")
    config = ProxyConfig(
        acs_url=acs.url, cr_port=0, timeout=0.3, retries=0, serial_number="px1", strict=strict
    )
    proxy = Proxy(config, [entry_for(printer)], clock=t, sleep=t.sleep)
    await proxy.start()
    cpes = [proxy.cpe, *(d.cpe for d in proxy.devices.values())]
    await t.advance(RUN, [c.idle for c in cpes])
    return acs, proxy, t


def _serials(acs: ScriptedAcs) -> set[str]:
    return {s.serial for s in acs.informs}


async def test_proxy_devices_follow_the_retry_table_with_a_strict_cpe(printers) -> None:
    acs, proxy, _ = await _run(printers, strict=True)
    try:
        serials = _serials(acs)
        assert "px1" in serials and len(serials) == 2  # the proxy's device and the printer's
        for serial in serials:
            seen = acs.attempts(serial)
            assert 4 <= len(seen) <= max_attempts(RUN), [s.at for s in seen]
            assert [s.retry_count for s in seen] == list(range(len(seen)))
            for n, (a, b) in enumerate(itertools.pairwise(seen), start=1):
                lo, hi = retry_wait_range(n)
                assert lo <= b.at - a.at <= hi + 1, (serial, n, b.at - a.at)
        assert all(c.acs_violations == [] for c in [proxy.cpe])  # strict: a failure instead
    finally:
        await proxy.stop()
        await acs.stop()


async def test_proxy_records_the_acs_id_violation_and_does_not_retry(printers) -> None:
    acs, proxy, _ = await _run(printers, strict=False)
    try:
        for serial in _serials(acs):
            assert len(acs.attempts(serial)) == 1  # the session went on and completed
        cpes = [proxy.cpe, *(d.cpe for d in proxy.devices.values())]
        for cpe in cpes:
            assert [v["rule"] for v in cpe.acs_violations] == ["acs-id-echo"]
            assert "InformResponse carries cwmp:ID 'not-" in cpe.acs_violations[0]["message"]
            assert cpe.retry.retry_count == 0 and cpe.sessions == 1
    finally:
        await proxy.stop()
        await acs.stop()
