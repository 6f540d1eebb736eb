"""CPE-initiated transfers: RequestDownload and AutonomousTransferComplete (TR-069 A.4.2).

A feature module (``cwmp_cpe.extensions``); the device (the emulator's control API or EWS, an
adapter) calls :meth:`CpeTransfers.request_download` when the printer wants a file and
:meth:`CpeTransfers.autonomous_transfer_complete` when it finished a transfer the ACS did not
ask for (a firmware update from the panel).

- RequestDownload (A.4.2.2, FileType + FileTypeArg): queued with ``9 REQUEST DOWNLOAD``
  (``cwmp.events``: done on RequestDownloadResponse, kept until then); the request is
  persisted (section ``request_downloads``) and sent in every session until answered. The
  ACS answers RequestDownloadResponse and may then send a Download.
- AutonomousTransferComplete (A.4.2.4) with ``10 AUTONOMOUS TRANSFER COMPLETE``: only what
  TR-181 ``ManagementServer.AutonomousTransferCompletePolicy.`` lets through: Enable
  ("Enable/disable CPE notification"), TransferTypeFilter / ResultTypeFilter / FileTypeFilter
  (types "not indicated by this filter MUST NOT be included"; an empty FileTypeFilter
  excludes every type). The record (``cpe.transfers``, kind ``autonomous``) survives restarts
  until the ACS acknowledges it. cwmp-1-0.xsd has neither the RPC nor the event, so a client
  capped at CWMP 1.0 reports none.

Quirks: ``atc-ignores-policy`` reports every autonomous transfer whatever the filters;
``request-download-no-event`` sends RequestDownload without ``9 REQUEST DOWNLOAD``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from printbench.cwmp import events as E
from printbench.cwmp import faults, soap
from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp_cpe.config import version_plan
from printbench.cwmp_cpe.extensions import OutboundRequest
from printbench.cwmp_cpe.persistence import StateSection, TimeBase, iso
from printbench.cwmp_cpe.settings import _bool, _get

if TYPE_CHECKING:
    from printbench.cwmp_cpe.runtime import Cpe

REQUEST_EVENT = "9 REQUEST DOWNLOAD"
AUTONOMOUS_EVENT = "10 AUTONOMOUS TRANSFER COMPLETE"
#: Pending RequestDownloads kept at most (older ones are dropped: the device asks again).
MAX_REQUESTS = 8


def policy_allows(
    tree: P.ParameterTree, root: str, *, is_download: bool, ok: bool, file_type: str
) -> bool:
    """TR-181 AutonomousTransferCompletePolicy: whether this transfer is to be reported."""
    p = f"{root}ManagementServer.AutonomousTransferCompletePolicy."
    if not _bool(_get(tree, p + "Enable"), False):
        return False
    kind = "Download" if is_download else "Upload"
    if (_get(tree, p + "TransferTypeFilter") or "Both") not in ("Both", kind):
        return False
    result = "Success" if ok else "Failure"
    if (_get(tree, p + "ResultTypeFilter") or "Both") not in ("Both", result):
        return False
    types = [t.strip() for t in (_get(tree, p + "FileTypeFilter") or "").split(",") if t.strip()]
    return file_type in types


class CpeTransfers:
    """RequestDownload and AutonomousTransferComplete of one Cpe."""

    name = "cpe-transfers"

    def __init__(self, cpe: Cpe) -> None:
        self.cpe = cpe
        #: (FileType, FileTypeArg pairs) not yet answered by the ACS.
        self.requests: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self._ids = itertools.count(1)
        cpe.persist(StateSection("request_downloads", self._dump, self._load))
        cpe.add_outbox(self._outbox)
        cpe.on_factory_reset(lambda: self.requests.clear())

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def _dump(self, base: TimeBase) -> Any:
        return [[ft, [list(a) for a in args]] for ft, args in self.requests]

    def _load(self, value: Any, base: TimeBase) -> None:
        self.requests = [(str(ft), tuple((str(n), str(v)) for n, v in args)) for ft, args in value][
            -MAX_REQUESTS:
        ]

    def _cwmp_1_0(self) -> bool:
        return version_plan(self.cpe.version_cap, self.cpe.quirks).namespace == m.CWMP_1_0

    # -- inputs from the device -----------------------------------------------------------------

    def request_download(self, file_type: str, args: Iterable[tuple[str, str]] = ()) -> None:
        """The device asks the ACS for a file (TR-069 A.4.2.2)."""
        self.requests.append((file_type, tuple(args)))
        del self.requests[:-MAX_REQUESTS]
        if "request-download-no-event" in self.cpe.quirks:
            self.cpe.save()
            self.cpe.wake()  # the defect: nothing in the Inform says why the session is
            return
        self.cpe.add_event(REQUEST_EVENT)

    def autonomous_transfer_complete(
        self,
        *,
        is_download: bool,
        file_type: str,
        start: datetime,
        complete: datetime,
        fault_code: int = 0,
        fault_string: str = "",
        announce_url: str = "",
        transfer_url: str = "",
        file_size: int = 0,
        target_file_name: str = "",
    ) -> bool:
        """A transfer the ACS did not request is over; True when it will be reported."""
        cpe = self.cpe
        if self._cwmp_1_0():
            return False
        ok = fault_code == 0
        if "atc-ignores-policy" not in cpe.quirks and not policy_allows(
            cpe.tree, cpe.config.root, is_download=is_download, ok=ok, file_type=file_type
        ):
            return False
        cpe.transfers.add(
            E.TransferRecord(
                command_key=f"autonomous-{next(self._ids)}-{iso(complete)}",
                start_time=iso(start),
                complete_time=iso(complete),
                fault_code=fault_code,
                fault_string=fault_string[:256],
                kind="autonomous",
                extra={
                    "announce_url": announce_url,
                    "transfer_url": transfer_url,
                    "file_type": file_type,
                    "file_size": file_size,
                    "target_file_name": target_file_name,
                },
                is_download=is_download,
            )
        )
        cpe.add_event(AUTONOMOUS_EVENT)
        return True

    # -- the outbox -----------------------------------------------------------------------------

    def _outbox(self, namespace: str) -> Iterable[OutboundRequest]:
        out: list[OutboundRequest] = []
        for file_type, args in list(self.requests):
            req = m.RequestDownload(
                file_type=file_type,
                file_type_arg=tuple(m.ArgStruct(n, v) for n, v in args),
            )
            out.append(OutboundRequest(req, on_response=self._on_answer((file_type, args))))
        if namespace != m.CWMP_1_0:
            for rec in self.cpe.transfers.pending():
                if rec.kind == "autonomous":
                    out.append(self._autonomous(rec, namespace))
        return out

    def _on_answer(
        self, item: tuple[str, tuple[tuple[str, str], ...]]
    ) -> Callable[[m.Message], None]:
        return lambda _response: self._answered(item)

    def _answered(self, item: tuple[str, tuple[tuple[str, str], ...]]) -> None:
        if item in self.requests:
            self.requests.remove(item)
        if not self.requests:
            self.cpe.queue.on_request_download_response()
        self.cpe.save()

    def _autonomous(self, rec: E.TransferRecord, namespace: str) -> OutboundRequest:
        x = rec.extra
        code, text = faults.transfer_complete_fault(
            rec.fault_code, rec.fault_string, namespace, is_download=rec.is_download
        )
        msg = m.AutonomousTransferComplete(
            announce_url=str(x.get("announce_url", "")),
            transfer_url=str(x.get("transfer_url", "")),
            is_download=rec.is_download,
            file_type=str(x.get("file_type", "")),
            file_size=int(x.get("file_size", 0)),
            target_file_name=str(x.get("target_file_name", "")),
            fault_struct=m.FaultStruct(code, text),
            start_time=soap.parse_datetime(rec.start_time),
            complete_time=soap.parse_datetime(rec.complete_time),
        )
        key = rec.command_key

        def acknowledged(_r: m.Message) -> None:
            cpe = self.cpe
            cpe.transfers.acknowledge(key, kind="autonomous")
            more = any(r.kind == "autonomous" for r in cpe.transfers.pending())
            cpe.queue.on_autonomous_transfer_complete_response(more)
            cpe.save()

        return OutboundRequest(msg, on_response=acknowledged)
