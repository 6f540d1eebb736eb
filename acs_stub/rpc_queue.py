"""Per-device queue of ACS→CPE RPCs, each paired with a future for its answer.

Why futures: a scenario enqueues ``GetParameterValues`` and simply awaits the answer, while the
CWMP endpoint pops the request whenever the CPE's session reaches the point where the ACS may
speak. The two sides never share more than this queue. A fault from the CPE resolves the
future with :class:`RpcFault`; a session that ends before the answer arrives leaves the RPC in
flight state so it can be re-sent in the next session (as GenieACS does with its tasks).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any


class RpcFault(Exception):
    """The CPE answered an enqueued RPC with a CWMP fault."""

    def __init__(self, fault: Any) -> None:
        self.fault = fault
        code = getattr(fault, "code", getattr(fault, "fault_code", "?"))
        text = getattr(fault, "string", getattr(fault, "fault_string", ""))
        super().__init__(f"CPE fault {code}: {text}")


class RpcAborted(Exception):
    """The RPC was dropped without an answer (queue cleared, server stopped)."""


_ids = itertools.count(1)


@dataclass(eq=False)
class QueuedRpc:
    """One ACS→CPE request waiting to be sent or to be answered."""

    request: Any
    hold_requests: bool = False
    id: int = field(default_factory=lambda: next(_ids))
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    sent_in_session: str | None = None
    attempts: int = 0
    store_key: int | None = None  # its row in the ACS's state file (acs_stub.store)

    @property
    def method(self) -> str:
        return type(self.request).__name__

    def resolve(self, response: Any) -> None:
        if not self.future.done():
            self.future.set_result(response)

    def fail(self, fault: Any) -> None:
        if not self.future.done():
            self.future.set_exception(RpcFault(fault))

    def abort(self, why: str) -> None:
        if not self.future.done():
            self.future.set_exception(RpcAborted(why))
            # Nobody may await an aborted RPC; don't warn about an unretrieved exception.
            self.future.exception()

    async def result(self, timeout: float | None = None) -> Any:
        """The CPE's response, or :class:`RpcFault`; ``TimeoutError`` after ``timeout``."""
        return await asyncio.wait_for(asyncio.shield(self.future), timeout)


class RpcQueue:
    """FIFO of :class:`QueuedRpc` for one device, with a waiter for 'something was queued'."""

    def __init__(self) -> None:
        self._items: deque[QueuedRpc] = deque()
        self._changed = asyncio.Event()
        self._store: Any = None  # acs_stub.store.AcsStore: queued RPCs survive a restart
        self._device_id = ""

    def bind(self, store: Any, device_id: str) -> None:
        """Keep every RPC queued from now on in ``store`` until it is answered."""
        self._store = store
        self._device_id = device_id

    def _persist(self, item: QueuedRpc, key: int | None) -> None:
        store = self._store
        if store is None or key is None:
            return
        item.store_key = key
        item.future.add_done_callback(lambda _f: store.remove_rpc(key))

    def put(self, request: Any, *, hold_requests: bool = False) -> QueuedRpc:
        item = QueuedRpc(request=request, hold_requests=hold_requests)
        if self._store is not None:
            self._persist(item, self._store.add_rpc(self._device_id, request, hold_requests))
        self._items.append(item)
        self._changed.set()
        return item

    def restore(self, key: int, request: Any, *, hold_requests: bool = False) -> QueuedRpc:
        """Queue an RPC read back from the store (already stored under ``key``)."""
        item = QueuedRpc(request=request, hold_requests=hold_requests)
        self._persist(item, key)
        # nobody awaits an RPC queued by a previous process: retrieve a fault's exception so
        # asyncio does not warn that it was never retrieved
        item.future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._items.append(item)
        self._changed.set()
        return item

    def push_front(self, item: QueuedRpc) -> None:
        """Put back an RPC that was sent but not answered (session lost), to re-send first."""
        self._items.appendleft(item)
        self._changed.set()

    def pop(self) -> QueuedRpc | None:
        while self._items:
            item = self._items.popleft()
            if not item.future.done():  # a caller may have cancelled it meanwhile
                return item
        return None

    def pending(self) -> list[QueuedRpc]:
        return [i for i in self._items if not i.future.done()]

    def __len__(self) -> int:
        return len(self.pending())

    def clear(self, why: str = "queue cleared") -> None:
        while self._items:
            self._items.popleft().abort(why)
