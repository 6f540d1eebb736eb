"""One virtual CWMP device per proxied printer (TR-069 Annex J.2).

A :class:`PrinterDevice` is a parameter tree over the printer (``model``/``binding``), the
printer's protocol clients (:class:`PrinterConn`) and a ``cwmp_cpe.Cpe`` runtime that runs its
sessions, periodic informs and notifications with its own DeviceId. The Cpe's parameter RPCs
are replaced by async handlers that first fetch what the request needs from the printer (one
batch per protocol), then let the tree answer from that snapshot; SetParameterValues goes
through ``writes.execute``. The printer going away does not remove the device: its
printer-backed parameters fault 9002 naming the printer and protocol, connection requests get
503, and the next successful fetch brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp

from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp_cpe import Cpe, CpeConfig
from printbench.cwmp_cpe.file_formats import (
    CONFIG_DOWN,
    CONFIG_SECTIONS,
    CONFIG_UP,
    FIRMWARE,
    MAX_CONFIG,
    make_config,
    parse_config,
)
from printbench.cwmp_cpe.store import StateStore
from printbench.cwmp_proxy import diagnostics
from printbench.cwmp_proxy.binding import PS, Bindings, FetchPlan, PrinterView, Snapshot
from printbench.cwmp_proxy.errors import ProxyError, Unreachable
from printbench.cwmp_proxy.ews_client import EwsClient
from printbench.cwmp_proxy.inventory import PrinterEntry
from printbench.cwmp_proxy.ipp_client import IppClient, parse_key_values
from printbench.cwmp_proxy.model import PROXY_PROTOCOL, Identity
from printbench.cwmp_proxy.snmp_client import SnmpClient, SnmpCredentials
from printbench.cwmp_proxy.writes import Staged, Writer, execute

log = logging.getLogger(__name__)


class PrinterConn:
    """The clients of one printer's protocols (only those the inventory enables)."""

    def __init__(
        self,
        entry: PrinterEntry,
        session: aiohttp.ClientSession,
        *,
        timeout: float = 1.0,
        retries: int = 1,
    ) -> None:
        self.entry = entry
        p = set(entry.protocols)
        self.snmp = (
            SnmpClient(
                entry.address,
                entry.snmp_port,
                SnmpCredentials(
                    entry.snmp_version,
                    entry.community,
                    entry.write_community,
                    entry.v3_user,
                    entry.v3_auth_protocol,
                    entry.v3_auth_key,
                    entry.v3_priv_protocol,
                    entry.v3_priv_key,
                ),
                timeout=timeout,
                retries=retries,
            )
            if "snmp" in p
            else None
        )
        self.ipp = (
            IppClient(entry.ipp_uri, session, timeout=timeout * 2, retries=retries)
            if "ipp" in p
            else None
        )
        self.ews = (
            EwsClient(
                entry.ews_url,
                session,
                username=entry.ews_username,
                password=entry.ews_password,
                timeout=timeout * 2,
                retries=retries,
            )
            if "ews" in p
            else None
        )
        self._settable: set[str] | None = None

    async def ipp_settable(self) -> set[str]:
        if self._settable is None and self.ipp is not None:
            got = await self.ipp.get_attributes(["printer-settable-attributes-supported"])
            v = got.get("printer-settable-attributes-supported", [])
            self._settable = set(v if isinstance(v, list) else [v])
        return self._settable or set()

    async def fetch(self, plan: FetchPlan) -> Snapshot:
        """Everything ``plan`` names, one batch per protocol, the protocols concurrently."""
        snap = Snapshot()

        async def snmp() -> None:
            assert self.snmp is not None
            if plan.scalars:
                snap.scalars = await self.snmp.get(sorted(plan.scalars))
            if plan.columns:
                snap.columns = await self.snmp.walk_columns(sorted(plan.columns))

        async def ipp() -> None:
            assert self.ipp is not None
            snap.ipp = await self.ipp.get_attributes(plan.ipp)

        async def ews() -> None:
            assert self.ews is not None
            snap.ews = await self.ews.state()

        jobs: dict[str, Any] = {}
        if (plan.scalars or plan.columns) and self.snmp is not None:
            jobs["snmp"] = snmp()
        if plan.ipp and self.ipp is not None:
            jobs["ipp"] = ipp()
        if plan.ews and self.ews is not None:
            jobs["ews"] = ews()
        results = await asyncio.gather(*jobs.values(), return_exceptions=True)
        for kind, res in zip(jobs, results, strict=True):
            if isinstance(res, ProxyError):
                snap.errors[kind] = res
            elif isinstance(res, BaseException):
                log.error("%s %s fetch failed: %r", self.entry.address, kind, res)
                snap.errors[kind] = ProxyError(f"{self.entry.address} {kind.upper()}: {res!r}")
        # the instant the uptimes were read, within one round trip: boot time = taken - uptime
        snap.taken = datetime.now(UTC)
        return snap

    async def reachable(self, timeout: float = 1.0) -> bool:
        """Does the printer answer at all (any configured protocol)?"""

        async def one(coro: Any) -> bool:
            try:
                await asyncio.wait_for(coro, timeout)
                return True
            except (TimeoutError, ProxyError):
                return False

        probes = []
        if self.snmp is not None:
            probes.append(one(self.snmp.get(["1.3.6.1.2.1.1.3.0"])))
        if self.ipp is not None:
            probes.append(one(self.ipp.get_attributes(["printer-state"])))
        if self.ews is not None:
            probes.append(one(self.ews.state()))
        return any(await asyncio.gather(*probes)) if probes else False


async def read_identity(conn: PrinterConn, dev: int = 1) -> Identity:
    """DeviceId and DeviceInfo from the printer itself: make, OUI from the MAC, model, serial."""
    ident = Identity()
    mac = b""
    if conn.snmp is not None:
        try:
            got = await conn.snmp.get(
                [
                    "1.3.6.1.2.1.1.1.0",
                    f"1.3.6.1.2.1.25.3.2.1.3.{dev}",
                    f"1.3.6.1.2.1.43.5.1.1.17.{dev}",
                ]
            )
            cols = await conn.snmp.walk_columns(["1.3.6.1.2.1.2.2.1.6"])
            descr = got.get("1.3.6.1.2.1.1.1.0", b"").decode("utf-8", "replace")
            hr = got.get(f"1.3.6.1.2.1.25.3.2.1.3.{dev}", b"").decode("utf-8", "replace")
            ident.serial_number = got.get(f"1.3.6.1.2.1.43.5.1.1.17.{dev}", b"").decode(
                "utf-8", "replace"
            )
            ident.description = descr
            model = hr or descr
            ident.manufacturer = model.split(" ", 1)[0] if model else ""
            ident.model_name = model
            ident.product_class = product_class_of(model, ident.manufacturer)
            if hr and descr.startswith(hr):
                ident.software_version = descr[len(hr) :].strip()
            macs = [v for v in cols.get("1.3.6.1.2.1.2.2.1.6", {}).values() if len(v) == 6]
            mac = macs[0] if macs else b""
        except ProxyError as exc:
            log.info("%s: identity over SNMP failed: %s", conn.entry.address, exc.message)
    if conn.ipp is not None and not (ident.manufacturer and ident.serial_number):
        try:
            a = await conn.ipp.get_attributes(
                [
                    "printer-device-id",
                    "printer-make-and-model",
                    "printer-firmware-string-version",
                    "printer-info",
                ]
            )
            did = {
                k.strip().upper(): v
                for k, v in (
                    p.split(":", 1)
                    for p in str(a.get("printer-device-id", "")).split(";")
                    if ":" in p
                )
            }
            mm = str(a.get("printer-make-and-model", ""))
            ident.manufacturer = ident.manufacturer or did.get("MFG", mm.split(" ", 1)[0])
            ident.model_name = ident.model_name or mm
            ident.product_class = ident.product_class or product_class_of(
                did.get("MDL", mm), ident.manufacturer
            )
            ident.serial_number = ident.serial_number or did.get("SN", "")
            fw = a.get("printer-firmware-string-version", "")
            ident.software_version = ident.software_version or (
                fw[0] if isinstance(fw, list) else str(fw)
            )
            ident.description = ident.description or str(a.get("printer-info", ""))
        except ProxyError as exc:
            log.info("%s: identity over IPP failed: %s", conn.entry.address, exc.message)
    if conn.ews is not None and not (mac and ident.serial_number and ident.manufacturer):
        try:
            s = await conn.ews.state()
            ident.serial_number = ident.serial_number or str(s.get("identity.serial_number", ""))
            ident.manufacturer = ident.manufacturer or str(s.get("identity.manufacturer", ""))
            ident.model_name = ident.model_name or str(s.get("identity.model", ""))
            ident.product_class = ident.product_class or product_class_of(
                str(s.get("identity.product_class", "")), ""
            )
            ident.software_version = ident.software_version or str(
                s.get("identity.software_version", "")
            )
            ident.hardware_version = str(s.get("identity.hardware_version", ""))
            text = str(s.get("interfaces.1.mac_address", ""))
            if not mac and text:
                mac = bytes.fromhex(text.replace(":", "").replace("-", ""))
        except (ProxyError, ValueError) as exc:
            log.info("%s: identity over EWS failed: %s", conn.entry.address, exc)
    if len(mac) >= 3 and any(mac[:3]):
        ident.oui = mac[:3].hex().upper()  # six upper-case hex digits (cwmp-1-2.xsd OUI)
    if not ident.serial_number:
        ident.serial_number = conn.entry.address  # keeps the DeviceId unique
    return ident


#: where a model string stops naming the model: real printers append firmware, ROM and MID
#: fields to hrDeviceDescr/sysDescr ("Brother NC-8300w, Firmware Ver.1.07 ...", "...;FID 2")
_MODEL_END = re.compile(r"[;,\r\n\x00]|\s(?:firmware|fw|rom|version|ver\.)\b", re.IGNORECASE)
PRODUCT_CLASS_MAX = 64  # cwmp-1-2.xsd DeviceIdStruct/ProductClass maxLength; TR-181 string(64)


def product_class_of(model: str, manufacturer: str) -> str:
    """A ProductClass from a printer's model string: stable, meaningful, at most 64 characters.

    TR-181 DeviceInfo.ProductClass "identif[ies] the product or class of product over which the
    SerialNumber parameter is unique" and MUST stay fixed across firmware updates: so the model
    without the manufacturer and without the firmware/ROM details printers append (which change
    with an update), whitespace collapsed, cut at a word boundary to fit 64 characters.
    """
    text = " ".join(model.split())
    if manufacturer and text.lower().startswith(manufacturer.lower() + " "):
        text = text[len(manufacturer) + 1 :]
    m = _MODEL_END.search(text)
    head = text[: m.start()].strip() if m else text
    text = head or text
    if len(text) > PRODUCT_CLASS_MAX:
        cut = text[: PRODUCT_CLASS_MAX + 1].rsplit(" ", 1)[0]
        text = cut if 0 < len(cut) <= PRODUCT_CLASS_MAX else text[:PRODUCT_CLASS_MAX]
    return text.strip()


#: Seconds for a firmware upload and for the printer to come back running it.
FIRMWARE_TIMEOUT = 300.0


class _EwsStateView:
    """``state.get(path)`` over an EWS ``/api/state`` answer, for the config-file checks."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get(self, path: str) -> Any:
        return self.values[path]


class TransferHooks:
    """Download of a vendor configuration file, applied through the printer's EWS.

    The file is the one the printers' embedded client takes (``emulator.tr069.transfers``:
    YAML of state paths with a SHA-256, checked the same way, all or nothing): each value is
    checked against the type the EWS reports, then written through the EWS JSON API one
    configuration page per POST; a page the printer refuses rolls back the pages already
    written, and the TransferComplete carries 9010 with the printer's reason. The runtime
    (``cwmp_cpe``) does the rest: queueing, DelaySeconds, HTTP(S) with auth, TransferComplete.
    A firmware image has no native path on a printer managed over SNMP/IPP/EWS, so Download
    of one is answered with fault 9010 at once (see ``PrinterDevice.download``).
    """

    download_types: tuple[str, ...] = (CONFIG_DOWN,)
    upload_types: tuple[str, ...] = (CONFIG_UP, f"3 {CONFIG_UP[2:]} 1")  # 1.0 and instance forms

    def __init__(self, device: PrinterDevice) -> None:
        self.device = device

    async def upload_content(self, job: Any) -> tuple[bytes, str]:
        """Upload of ``1 Vendor Configuration File`` (TR-069 A.4.1.5): the printer's
        configurable values read through its EWS, in the file format Download takes back
        (:mod:`printbench.cwmp_cpe.file_formats`), so an ACS can back a printer up and
        restore it (TP-181 "configuration backup and restoration")."""
        from printbench.cwmp_cpe import TransferError

        ews = self.device.conn.ews
        if not job.file_type.startswith(("1 ", "3 ")) or ews is None:
            raise TransferError(9011, f"FileType {job.file_type!r} cannot be uploaded")
        try:
            current = await ews.state()
            pages = await ews.pages()
        except ProxyError as exc:
            raise TransferError(9011, f"configuration unreadable: {exc.message}") from None
        # What a restore can write back: values a configuration page holds. Secrets
        # (passwords, write communities) are withheld by the EWS (None), as on real printers:
        # the backup leaves them out and a restore leaves them as they are.
        values = {
            k: v
            for k, v in current.items()
            if k.startswith(CONFIG_SECTIONS) and k in pages and v is not None
        }
        return make_config(values), "application/x-yaml"

    async def accept_download(self, job: Any, file: Any) -> Any:
        from printbench.cwmp_cpe import TransferError, TransferOutcome

        ews = self.device.conn.ews
        if job.file_type == FIRMWARE and ews is not None and self.device.firmware_via_ews:
            return await self._install_firmware(job, file)
        if job.file_type != CONFIG_DOWN or ews is None:
            raise TransferError(9010, f"FileType {job.file_type!r} cannot be applied")
        async with self.device.lock:
            try:
                current = await ews.state()
                values = parse_config(file.read_bytes(MAX_CONFIG), _EwsStateView(current))
                pages = await ews.pages()
                missing = sorted(p for p in values if p not in pages)
                if missing:
                    raise TransferError(
                        9010,
                        f"configuration file: {', '.join(missing[:3])} cannot be set on "
                        f"{self.device.entry.address} (no EWS configuration page holds it)",
                    )
                by_page: dict[str, dict[str, Any]] = {}
                for path, value in values.items():
                    v = list(value) if isinstance(value, tuple) else value
                    by_page.setdefault(pages[path], {})[path] = v
                done: list[dict[str, Any]] = []
                for body in by_page.values():
                    try:
                        await ews.write(body)
                    except ProxyError as exc:
                        for old in reversed(done):
                            with contextlib.suppress(ProxyError):
                                await ews.write({p: current[p] for p in old})
                        raise TransferError(
                            9010, f"configuration file refused by the printer: {exc.message}"
                        ) from None
                    done.append(body)
            except ProxyError as exc:
                raise TransferError(
                    9010, f"configuration file not applied: {exc.message}"
                ) from None
        log.info("%s: configuration file %s applied", self.device.entry.address, job.command_key)
        return TransferOutcome()

    async def _install_firmware(self, job: Any, file: Any) -> Any:
        """Send the complete image to the printer's EWS firmware page, wait for it to come
        back with the new version, then let the runtime report the boot.

        The printer checks the image itself (its 422 becomes 9018 or 9010). The transfer
        only counts as complete once the printer answers again with the version the EWS
        announced (TR-069 A.3.2.8: a firmware Download is complete after the new image is
        running), so the TransferComplete rides the virtual device's ``1 BOOT`` Inform with
        ``M Download``, as the embedded client's does.
        """
        from printbench.cwmp_cpe import TransferError, TransferOutcome

        d = self.device
        ews = d.conn.ews
        assert ews is not None
        try:
            version = await ews.upload_firmware(file.path, timeout=FIRMWARE_TIMEOUT)
        except ProxyError as exc:
            raise TransferError(exc.code if exc.code in (9010, 9018) else 9010,
                                f"firmware not installed: {exc.message}") from None  # fmt: skip
        deadline = time.monotonic() + FIRMWARE_TIMEOUT
        while True:
            with contextlib.suppress(ProxyError):
                if str((await ews.info()).get("firmware_version", "")) == version:
                    break
            if time.monotonic() > deadline:
                raise TransferError(
                    9010, f"{d.entry.address} did not come back with firmware {version}"
                )
            await asyncio.sleep(0.2)
        async with d.lock:
            ident = await read_identity(d.conn, d.view.dev)
            d.identity.software_version = ident.software_version or version
        log.info("%s: firmware %s installed (%s)", d.entry.address, version, job.command_key)
        return TransferOutcome(activate=lambda: None, reboot=True)


class PrinterHooks(TransferHooks):
    """Reboot and FactoryReset through prtGeneralReset (binding.ACTIONS), and Download."""

    def __init__(self, device: PrinterDevice) -> None:
        super().__init__(device)

    def _action(self, name: str) -> None:
        from printbench.cwmp_proxy.binding import ACTIONS

        async def run() -> None:
            d = self.device
            for kind, oid, value in ACTIONS[name]:
                if kind == "snmp" and d.conn.snmp is not None:
                    try:
                        await d.conn.snmp.set([(f"{oid}.{d.view.dev}", value)])
                    except ProxyError as exc:
                        log.error("%s: %s failed: %s", d.entry.address, name, exc.message)

        task = asyncio.get_running_loop().create_task(run())
        self.device._tasks.add(task)
        task.add_done_callback(self.device._tasks.discard)

    def reboot(self) -> None:
        self._action("Reboot")

    def factory_reset(self) -> None:
        self._action("FactoryReset")


class TolerantTracker(P.ValueChangeTracker):
    """``prime`` skips parameters that cannot be read, as ``poll`` already does.

    ``cwmp.params.ValueChangeTracker.prime`` lets a getter's fault escape; for a proxied
    printer that is offline at boot that would crash every session, so unreadable parameters
    simply get no baseline (they are baselined silently when they can be read again).
    """

    def prime(self) -> None:
        base: dict[str, str] = {}
        for name, pd, nc, _ in self.tree.watched():
            try:
                base[name] = self.tree._read(pd, nc, name)
            except P.ParameterFault:
                continue
        self.baseline = base
        self._primed = True


class PrinterDevice:
    """A proxied printer as its own CWMP device."""

    #: The parameter RPCs are this class's own (read through, write through) and apply the
    #: parameter quirks themselves; a quirk switch must not replace them with tree handlers.
    applies_parameter_quirks = True

    def __init__(
        self,
        entry: PrinterEntry,
        model: P.DataModel,
        bindings: Bindings,
        session: aiohttp.ClientSession,
        *,
        proxier: Identity,
        timeout: float = 1.0,
        retries: int = 1,
        cpe_config: CpeConfig | None = None,
        dev: int = 1,
        store: StateStore | None = None,
    ) -> None:
        self.entry = entry
        #: Where the virtual device's CWMP state lives (event queue, pending transfers,
        #: attributes, bootstrap); a file store lets a proxy restart be a 1 BOOT, not a
        #: 0 BOOTSTRAP of every printer. None: memory only.
        self.store = store
        self.bindings = bindings
        self.conn = PrinterConn(entry, session, timeout=timeout, retries=retries)
        self.view = PrinterView(bindings, set(entry.protocols), dev)
        self.view.host = entry.address
        self.view.identity = Identity()  # type: ignore[attr-defined]
        self.view.proxier = proxier  # type: ignore[attr-defined]
        self.view.cr_url = ""  # type: ignore[attr-defined]
        # canDeny parameters (counters and levels that move with every page): active
        # notification would make the proxy poll them at the active interval and inform on
        # every page printed, which is what TR-106 canDeny lets a CPE refuse (9009)
        self.tree = P.ParameterTree(
            model, self.view, strict_xsi_type=False, deny_active_on_can_deny=True
        )
        self.tree.tracker = TolerantTracker(self.tree)
        forced = [pd for pd in model.forced_inform_defs() if pd.path in bindings.rows]
        self.view.forced = {pd.path for pd in forced}
        for pd in forced:  # "Unknown" where the type has it: the printer was never read
            enums = pd.type.enumerations
            self.view.forced_default[pd.path] = (
                "Unknown" if "Unknown" in enums else (enums[0] if enums else pd.default)
            )
        self.writer = Writer(self.view, self.conn)
        self.lock = asyncio.Lock()
        self.online = True
        self.last_error = ""
        self.cpe_config = cpe_config or CpeConfig()
        self.cpe: Cpe | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.created = time.monotonic()
        #: The printer's EWS has a firmware upgrade page (its /api/info says so).
        self.firmware_via_ews = False
        self._runtime_download: Any = None

    @property
    def identity(self) -> Identity:
        return self.view.identity  # type: ignore[attr-defined]

    # -- lifecycle --------------------------------------------------------------------------

    async def discover(self) -> None:
        """Read the identity; before the first Inform so the DeviceId is the printer's."""
        self.view.identity = await read_identity(self.conn, self.view.dev)  # type: ignore[attr-defined]
        if self.conn.ews is not None:
            try:
                self.firmware_via_ews = bool((await self.conn.ews.info()).get("firmware_upload"))
            except ProxyError as exc:
                log.info("%s: EWS information failed: %s", self.entry.address, exc.message)
        await self.calibrate()

    async def calibrate(self, rounds: int = 12) -> None:
        """Find, once, which source serves each mapped parameter on this printer.

        A whole-PrintService read moves every row whose primary source the printer lacks to
        its next source; rows with no source left are pruned from this device's model (a
        proxy should not invent values). A printer that does not answer keeps the full model.
        """
        if self.view.dead:  # rows of protocols this printer is not configured with
            self.tree.model = self.bindings.pruned(frozenset(self.view.dead))  # type: ignore[attr-defined]
        for _ in range(rounds):
            self.view.rechoose_needed = False
            before = set(self.view.dead)
            await self.refresh([PS.rsplit("{", 1)[0]])
            if self.view.snapshot.errors:
                return
            self.view.notes.clear()
            with contextlib.suppress(P.ParameterFault):
                self.tree.get_parameter_values([PS.rsplit("{", 1)[0]])
            if self.view.dead != before and self.view.dead:
                self.tree.model = self.bindings.pruned(frozenset(self.view.dead))  # type: ignore[attr-defined]
            params = dict(self.view.row_param)
            self.view.choose_row_params()
            if (
                not self.view.rechoose_needed
                and self.view.dead == before
                and self.view.row_param == params
            ):
                break
        # what calibration read from sources it then moved away from or pruned is no news
        self.view.notes = {k: v for k, v in self.view.notes.items() if self.tree.exists(k)}

    async def prefetch_watched(self) -> None:
        """Fill the snapshot with what the runtime reads on its own (tracker baseline)."""
        async with self.lock:
            await self.refresh(self.watched_names(), merge=True)

    def make_cpe(self, cr_url: str, **cpe_kwargs: Any) -> Cpe:
        """The device's CWMP runtime; ``cpe_kwargs`` go to ``Cpe`` (clock, sleep)."""
        self.view.cr_url = cr_url  # type: ignore[attr-defined]
        # Reboot/FactoryReset need SNMP (prtGeneralReset); Download of a configuration file
        # needs the EWS. TR-069 requires Download of every CPE, so it is always offered: a
        # printer without EWS answers its FileTypes with fault 9010 (see ``download``).
        hooks: TransferHooks = (
            PrinterHooks(self) if self.conn.snmp is not None else TransferHooks(self)
        )
        if self.conn.ews is None:
            hooks.download_types = ()
            hooks.upload_types = ()
        elif self.firmware_via_ews:
            hooks.download_types = (FIRMWARE, CONFIG_DOWN)
        cpe = Cpe(
            self.tree,
            self.cpe_config,
            hooks=hooks,
            name=f"proxy:{self.entry.address}",
            store=self.store,
            **cpe_kwargs,
        )
        cpe.connection_request_url = cr_url
        self._runtime_download = cpe._handlers[m.Download]
        cpe.register(m.Download, self.download)
        cpe.register(m.GetParameterValues, self.get_parameter_values)
        cpe.register(m.SetParameterValues, self.set_parameter_values)
        cpe.register(m.GetParameterNames, self.get_parameter_names)
        cpe.register(m.GetParameterAttributes, self.get_parameter_attributes)
        cpe.register(m.SetParameterAttributes, self.set_parameter_attributes)
        self.diagnostics = diagnostics.serve(cpe)  # Device.IP.Diagnostics. (diagnostics.py)
        self.cpe = cpe
        return cpe

    async def stop(self) -> None:
        if self.cpe is not None:
            self.diagnostics.close()  # a test at work stops within 0.5 s, without an event
            await self.cpe.stop()
        for t in list(self._tasks):
            t.cancel()

    # -- fetching ---------------------------------------------------------------------------

    async def refresh(self, names: list[str], *, merge: bool = False) -> list[Any]:
        """Fetch what ``names`` need into the view's snapshot; returns the rows involved."""
        rows = self.bindings.rows_for(names)
        plan = self.view.plan(rows)
        if plan.empty:
            if not merge:
                self.view.snapshot = Snapshot()
            return rows
        snap = await self.conn.fetch(plan)
        if merge:
            old = self.view.snapshot
            old.scalars.update(snap.scalars)
            for col, vals in snap.columns.items():
                old.columns[col] = vals
            old.ipp.update(snap.ipp)
            old.ews.update(snap.ews)
            old.errors = snap.errors
            old.taken = snap.taken
        else:
            self.view.snapshot = snap
        self._note_health(snap)
        return rows

    def _note_health(self, snap: Snapshot) -> None:
        down = [e for e in snap.errors.values() if isinstance(e, Unreachable)]
        was = self.online
        self.online = not down or len(down) < len(self.conn_kinds())
        self.last_error = "; ".join(e.message for e in snap.errors.values())
        if was != self.online:
            log.warning(
                "%s is %s%s",
                self.entry.address,
                "back" if self.online else "not answering",
                f": {self.last_error}" if self.last_error else "",
            )

    def conn_kinds(self) -> list[str]:
        return [k for k in ("snmp", "ipp", "ews") if getattr(self.conn, k) is not None]

    def _check(self, rows: list[Any]) -> None:
        """Fault 9002 when a protocol the request needs failed."""
        errs = self.view.snapshot.errors
        if not errs:
            return
        failed = {
            self.view.choice[r.path].kind
            for r in rows
            if r.path in self.view.choice and self.view.choice[r.path].kind in errs
        }
        if failed:
            msg = "; ".join(errs[k].message for k in sorted(failed))
            raise P.ParameterFault(errs[sorted(failed)[0]].code if len(failed) == 1 else 9002, msg)

    # -- RPC handlers -----------------------------------------------------------------------

    def download(self, req: m.Download) -> m.Message:
        """Download: configuration files through the runtime; others fault 9010 at once."""
        if req.file_type == FIRMWARE and not (self.conn.ews is not None and self.firmware_via_ews):
            return m.Fault(
                9010,
                f"{self.entry.address} is managed over {'/'.join(self.conn_kinds()).upper()}, "
                "none of which can install a firmware image here (no EWS firmware page); "
                "upgrade it with the vendor's tool",
            )
        if req.file_type == CONFIG_DOWN and self.conn.ews is None:
            return m.Fault(
                9010,
                f"{self.entry.address}: a configuration file is applied through the printer's "
                "EWS, which is not configured for it",
            )
        return self._runtime_download(req)

    async def get_parameter_values(self, req: m.GetParameterValues) -> m.Message:
        async with self.lock:
            names = list(req.parameter_names)
            for _ in range(3):  # a source the printer lacks moves to the next one: fetch again
                self.view.rechoose_needed = False
                try:
                    rows = await self.refresh(names)
                    if any(self._needs_printer(n) for n in names):
                        self._check(rows)
                    values = self.tree.get_parameter_values(names)
                    break
                except P.ParameterFault as exc:
                    if self.view.rechoose_needed:
                        continue
                    return exc.to_fault()
                except P.ProviderError as exc:
                    return m.Fault(exc.code, exc.message)
            else:
                return m.Fault(9002, "the printer's sources kept changing; try again")
        return m.GetParameterValuesResponse(
            tuple(m.ParameterValueStruct(v.name, v.value, v.xsi_type) for v in values)
        )

    def _needs_printer(self, name: str) -> bool:
        return name == "" or name.startswith("Device.Services") or name in ("Device.",)

    async def set_parameter_values(self, req: m.SetParameterValues) -> m.Message:
        async with self.lock:
            names = [v.name for v in req.parameter_list]
            old_key = self.tree.parameter_key
            old_store = dict(self.tree.store)
            try:
                rows = await self.refresh(names)
                self._check(rows)
                self.view.staging = []  # type: ignore[attr-defined]
                try:
                    status = self.tree.set_parameter_values(
                        list(req.parameter_list), req.parameter_key
                    )
                finally:
                    staged_raw = self.view.staging  # type: ignore[attr-defined]
                    self.view.staging = None  # type: ignore[attr-defined]
                if staged_raw:
                    staged = []
                    for row, inst, new, canonical, path in staged_raw:
                        old = None
                        self.view.snapshot.overrides.pop((row.path, inst), None)
                        with contextlib.suppress(P.ProviderError):
                            old = self.view.read(row, inst)
                        name = path + row.path.rsplit(".", 1)[-1]
                        staged.append(Staged(row, inst, new, canonical, name, old))

                    async def refetch(rows: list[Any]) -> None:
                        snap = await self.conn.fetch(self.view.plan(rows))
                        self.view.snapshot = snap

                    try:
                        await execute(self.writer, staged, refetch)
                    except P.ParameterFault:
                        self.tree.parameter_key = old_key
                        self.tree.store = old_store
                        raise
                if "parameter-key-frozen" in self._quirks():  # a deliberate defect (quirk)
                    self.tree.parameter_key = old_key
            except P.ParameterFault as exc:
                return exc.to_fault()
            except P.ProviderError as exc:
                return m.Fault(exc.code, exc.message)
        return m.SetParameterValuesResponse(status)

    def _quirks(self) -> frozenset[str]:
        """The quirk modes switched on this device's runtime (the conformance suite's way to
        inject a defect): the parameter RPCs here honour the two that bend their answers."""
        return frozenset(self.cpe.quirks) if self.cpe is not None else frozenset()

    async def get_parameter_names(self, req: m.GetParameterNames) -> m.Message:
        async with self.lock:
            try:
                rows = await self.refresh([req.parameter_path])
                if self._needs_printer(req.parameter_path):
                    self._check_tables(rows)
                next_level = req.next_level and "gpn-ignore-next-level" not in self._quirks()
                infos = self.tree.get_parameter_names(req.parameter_path, next_level)
            except P.ParameterFault as exc:
                return exc.to_fault()
            except P.ProviderError as exc:
                return m.Fault(exc.code, exc.message)
        return m.GetParameterNamesResponse(
            tuple(m.ParameterInfoStruct(i.name, i.writable) for i in infos)
        )

    def _check_tables(self, rows: list[Any]) -> None:
        first = {self.bindings.tables[t][0].path for t in self.bindings.tables}
        self._check([r for r in rows if r.path in first])

    async def get_parameter_attributes(self, req: m.GetParameterAttributes) -> m.Message:
        async with self.lock:
            try:
                rows = await self.refresh(list(req.parameter_names))
                self._check_tables(rows)
                attrs = self.tree.get_parameter_attributes(list(req.parameter_names))
            except P.ParameterFault as exc:
                return exc.to_fault()
            except P.ProviderError as exc:
                return m.Fault(exc.code, exc.message)
        return m.GetParameterAttributesResponse(
            tuple(m.ParameterAttributeStruct(a.name, a.notification, a.access_list) for a in attrs)
        )

    async def set_parameter_attributes(self, req: m.SetParameterAttributes) -> m.Message:
        async with self.lock:
            try:
                names = [s.name for s in req.parameter_list]
                rows = await self.refresh(names)
                self._check(rows)
                self.tree.set_parameter_attributes(
                    [
                        P.AttributeChange(
                            s.name,
                            s.notification_change,
                            s.notification,
                            s.access_list_change,
                            s.access_list,
                        )
                        for s in req.parameter_list
                    ]
                )
            except P.ParameterFault as exc:
                return exc.to_fault()
            except P.ProviderError as exc:
                return m.Fault(exc.code, exc.message)
        return m.SetParameterAttributesResponse()

    # -- used by notifications and the Annex J listing --------------------------------------

    def watched_names(self) -> list[str]:
        """Names the runtime reads on its own: watched, and forcedInform (every Inform)."""
        defs = [*self.tree.model.notify_by_default_defs(), *self.tree.model.forced_inform_defs()]
        return [n for n, (notif, _) in self.tree.attributes.items() if notif] + [
            pd.path.replace("{i}", "1", 1) if pd.path.startswith(PS) else pd.path
            for pd in defs
            if pd.path.count("{i}") <= (1 if pd.path.startswith(PS) else 0)
        ]

    def active_names(self) -> list[str]:
        """Names (or partial paths) the ACS set to active notification (Notification 2)."""
        return [n for n, (notif, _) in self.tree.attributes.items() if notif == 2]

    def virtual_device_row(self) -> Any:
        from types import SimpleNamespace

        i = self.identity
        return SimpleNamespace(
            oui=i.oui,
            product_class=i.product_class,
            serial_number=i.serial_number,
            host=self.entry.address,
            proxy_protocol=PROXY_PROTOCOL,
            discovery_protocol="X_PRINTBENCH-ORG_Inventory",
        )


__all__ = ["PS", "PrinterConn", "PrinterDevice", "parse_key_values", "read_identity"]
