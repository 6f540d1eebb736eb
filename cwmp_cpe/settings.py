"""The ``ManagementServer.`` values the runtime acts on, read from the device's tree.

Read afresh whenever needed, so an ACS that changes PeriodicInformInterval or the connection
request password through SetParameterValues is obeyed at once, and so the tree (the embedded
view of the printer state, or the proxy's tree) stays the only place these values live.
A parameter the model lacks falls back to the TR-181 default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from printbench.cwmp import params as P
from printbench.cwmp import retry as R
from printbench.cwmp import soap

MS = "ManagementServer."


@dataclass(frozen=True)
class Settings:
    enabled: bool = True
    url: str = ""
    username: str = ""
    password: str = ""
    periodic_enable: bool = False
    periodic_interval: int = 3600
    periodic_time: datetime | None = None  # None: the unknown time (no phase)
    cr_username: str = ""
    cr_password: str = ""
    throttle: int = 0
    retry_min_wait: int = R.DEFAULT_MIN_WAIT
    retry_multiplier: int = R.DEFAULT_MULTIPLIER


def _get(tree: P.ParameterTree, name: str) -> str | None:
    # get_value faults (9005) on a name the model lacks: one resolution instead of two.
    try:
        return tree.get_value(name)
    except P.ParameterFault:
        return None


def _bool(v: str | None, default: bool) -> bool:
    return default if v is None else v.strip().lower() in ("true", "1")


def _int(v: str | None, default: int) -> int:
    try:
        return int(v) if v else default
    except ValueError:
        return default


def _time(v: str | None) -> datetime | None:
    if not v or v.startswith("0001-01-01"):
        return None
    try:
        dt = soap.parse_datetime(v)
    except Exception:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt if dt.year > 1970 else None


def _in_range(v: int, bounds: tuple[int, int], default: int) -> int:
    """``v`` if TR-181 allows it, else the default.

    Why not clamp: a model whose TR-181 entry has no <default> (2.17 has none for the two retry
    parameters) reads "0"; clamping made that 1 s and multiplier 1.000, a retry every second
    (the proxy's 96 failed sessions in 48 s). TR-181 says 5 and 2000 are the default
    behaviour of TR-069, so a value outside the range means "not configured" here.
    """
    return v if bounds[0] <= v <= bounds[1] else default


def read_settings(tree: P.ParameterTree, root: str = "Device.") -> Settings:
    p = root + MS
    d = Settings()
    min_wait = _in_range(
        _int(_get(tree, p + "CWMPRetryMinimumWaitInterval"), d.retry_min_wait),
        R.MIN_WAIT_RANGE,
        R.DEFAULT_MIN_WAIT,
    )
    mult = _in_range(
        _int(_get(tree, p + "CWMPRetryIntervalMultiplier"), d.retry_multiplier),
        R.MULTIPLIER_RANGE,
        R.DEFAULT_MULTIPLIER,
    )
    return Settings(
        enabled=_bool(_get(tree, p + "EnableCWMP"), True),
        url=_get(tree, p + "URL") or "",
        username=_get(tree, p + "Username") or "",
        password=_get(tree, p + "Password") or "",
        periodic_enable=_bool(_get(tree, p + "PeriodicInformEnable"), False),
        periodic_interval=max(1, _int(_get(tree, p + "PeriodicInformInterval"), 3600)),
        periodic_time=_time(_get(tree, p + "PeriodicInformTime")),
        cr_username=_get(tree, p + "ConnectionRequestUsername") or "",
        cr_password=_get(tree, p + "ConnectionRequestPassword") or "",
        throttle=_int(_get(tree, p + "DefaultActiveNotificationThrottle"), 0),
        retry_min_wait=min_wait,
        retry_multiplier=mult,
    )
