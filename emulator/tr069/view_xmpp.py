"""The TR-069 view of the printer's XMPP connection (TR-181 ``Device.XMPP.`` and the
``ManagementServer.ConnReq*`` parameters of TR-069 Annex K), bound to ``state.xmpp``.

Kept out of ``view.py`` (which calls :func:`declare`) so the XMPP part is one small module.
Configuration (Enable, Username, Password, Domain, Resource, the server row, retry and
keep-alive settings, ConnReqXMPPConnection, ConnReqAllowedJabberIDs) lives in the state and
is writable through every face; what only the running connection knows (Status, JabberID,
TLSEstablished, LastChangeDate, Stats) comes from the ``cwmp_cpe.xmpp.XmppConnReq`` the
embedded client puts in ``view.extra["xmpp"]`` (absent: the printer has no XMPP running, and
the connection reads Disabled).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from printbench.cwmp import params as P

XC = "Device.XMPP.Connection.{i}."
MS = "Device.ManagementServer."
_NEVER = datetime(1, 1, 1, tzinfo=UTC)  # TR-106 the unknown time


def _conn(view: Any) -> Any:
    return view.extra.get("xmpp")


def _status(row: Any, view: Any) -> str:
    conn = _conn(view)
    if not row.enable:
        return "Disabled"
    return conn.status if conn is not None else "Unknown"


def _jabber_id(row: Any, view: Any) -> str:
    conn = _conn(view)
    return conn.jabber_id if conn is not None else ""


def _conn_req_jabber_id(view: Any) -> str:
    """TR-181 ConnReqJabberID: the JabberID of the referenced connection, empty when none is
    referenced or it is disabled; kept while the connection is lost."""
    x = view.state.xmpp
    if not x.enable or x.conn_req_connection.rstrip(".") != "Device.XMPP.Connection.1":
        return ""
    conn = _conn(view)
    return conn.jabber_id if conn is not None else ""


def _stat(name: str) -> Any:
    def get(row: Any, view: Any) -> int:
        conn = _conn(view)
        return int(getattr(conn.stats, name)) if conn is not None else 0

    return get


def _reference(nc: P.NodeContext, value: str) -> None:
    """ConnReqXMPPConnection is a strong reference to an existing XMPP.Connection (TR-181
    pathRef refType strong): empty or the printer's one connection."""
    if value.rstrip(".") not in ("", "Device.XMPP.Connection.1"):
        raise P.ProviderError(
            f"{value} is not an XMPP.Connection of this device (only Device.XMPP.Connection.1)",
            P.FAULT_INVALID_PARAMETER_VALUE,
        )


def declare(b: Any) -> None:
    """Add the XMPP bindings to a ``view.PrinterBinder``."""
    from printbench.emulator.tr069.view import _rv, _Spec

    b.tables[XC] = lambda view: {1: view.state.xmpp}  # the printer's one XMPP connection
    b.tables[XC + "Server.{i}."] = lambda row: {1: row}  # its one server (ServerTable)
    for name, attr in (
        ("Enable", "enable"),
        ("Username", "username"),
        ("Domain", "domain"),
        ("Resource", "resource"),
        ("ServerConnectAlgorithm", "server_connect_algorithm"),
        ("KeepAliveInterval", "keepalive_interval"),
        ("ServerConnectAttempts", "connect_attempts"),
        ("ServerRetryInitialInterval", "retry_initial_interval"),
        ("ServerRetryIntervalMultiplier", "retry_interval_multiplier"),
        ("ServerRetryMaxInterval", "retry_max_interval"),
        ("UseTLS", "use_tls"),
    ):
        b.rw_row(XC + name, attr)
    # TR-181: "When read, this parameter returns an empty string"; the client reads the state.
    b.specs[XC + "Password"] = _Spec(lambda row: "", ("row", "password", None))
    b.ro(XC + "JabberID", _rv(_jabber_id))
    b.ro(XC + "Status", _rv(_status))
    b.ro(XC + "LastChangeDate", _rv(lambda r, v: _conn(v).last_change if _conn(v) else _NEVER))
    b.ro(XC + "TLSEstablished", _rv(lambda r, v: bool(_conn(v) and _conn(v).tls)))
    srv = XC + "Server.{i}."
    b.ro(srv + "Enable", lambda row: bool(row.server_address))
    b.rw_row(srv + "ServerAddress", "server_address")
    b.rw_row(srv + "Port", "server_port")
    st = XC + "Stats."
    b.ro(st + "ReceivedMessages", _rv(_stat("received")))
    b.ro(st + "TransmittedMessages", _rv(_stat("transmitted")))
    b.ro(st + "ReceivedErrorMessages", _rv(_stat("received_errors")))
    b.ro(st + "TransmittedErrorMessages", _rv(_stat("transmitted_errors")))
    b.ro("Device.XMPP.SupportedServerConnectAlgorithms", lambda v: "DNS-SRV,DNS,ServerTable")
    b.rw(
        MS + "ConnReqXMPPConnection",
        lambda v: v.state.xmpp.conn_req_connection,
        "xmpp.conn_req_connection",
        validate=_reference,
    )
    b.rw(
        MS + "ConnReqAllowedJabberIDs",
        lambda v: v.state.xmpp.allowed_jabber_ids,
        "xmpp.allowed_jabber_ids",
        conv=lambda v: ",".join(v) if isinstance(v, (list, tuple)) else str(v),
    )
    b.ro(MS + "ConnReqJabberID", _conn_req_jabber_id)
    # HTTP always (TR-069 §3.2.2, REQUIRED); XMPP where the printer runs a connection; other
    # methods (STUN) add themselves through view.extra["connreq_methods"].
    b.ro(
        MS + "SupportedConnReqMethods",
        lambda v: ",".join(
            ["HTTP", *v.extra.get("connreq_methods", ()), *(["XMPP"] if _conn(v) else [])]
        ),
    )
