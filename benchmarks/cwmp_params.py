"""Parameter tree cost: a ~1,000-parameter model shared by many devices.

Prints the memory each device's tree adds, and per-request times for GetParameterValues on
the whole tree, GetParameterNames, an atomic 10-parameter SetParameterValues and a
value-change poll with 20 watched parameters.
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass, field

from printbench.cwmp import types as T
from printbench.cwmp.params import (
    AttributeChange,
    DataModel,
    MappingTable,
    ParameterTree,
    attr,
    set_attr,
)


@dataclass
class Row:
    values: list[int] = field(default_factory=lambda: list(range(18)))
    name: str = "row"


@dataclass
class Dev:
    serial: str
    rows: list[Row] = field(default_factory=lambda: [Row() for _ in range(50)])
    knobs: dict[str, str] = field(default_factory=dict)


def build() -> DataModel:
    m = DataModel()
    for i in range(100):
        m.parameter(f"Device.Settings.Knob{i}", T.string(64), writable=True)
    m.table("Device.Rows.{i}.", provider=MappingTable(lambda d: d.rows))
    m.parameter(
        "Device.Rows.{i}.Name", T.string(64), writable=True, get=attr("name"), set=set_attr("name")
    )
    for j in range(17):
        m.parameter(
            f"Device.Rows.{{i}}.Value{j}", T.unsigned_int(), get=lambda nc, j=j: nc.obj.values[j]
        )
    m.parameter(
        "Device.DeviceInfo.SerialNumber", T.string(64), get=attr("serial"), forced_inform=True
    )
    return m


def per_call(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main() -> None:
    model = build()
    devices = 2000
    devs = [Dev(f"SN{i}") for i in range(devices)]
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    trees = [ParameterTree(model, d) for d in devs]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    tree = trees[0]
    n_params = len(tree.get_parameter_values([""]))
    print(f"model parameters per device: {n_params}")
    print(f"memory per device tree (state object excluded): {(after - base) / devices:.0f} bytes")
    print(f"GPV whole tree: {per_call(lambda: tree.get_parameter_values(['']), 50) * 1e3:.2f} ms")
    print(
        f"GPV 5 full names: {per_call(lambda: tree.get_parameter_values(['Device.Rows.7.Value3', 'Device.Settings.Knob5', 'Device.Rows.50.Name', 'Device.DeviceInfo.SerialNumber', 'Device.Rows.1.Value16']), 2000) * 1e6:.1f} us"
    )
    print(
        f"GPN whole tree: {per_call(lambda: tree.get_parameter_names('', False), 50) * 1e3:.2f} ms"
    )
    spv = [(f"Device.Settings.Knob{i}", f"v{i}", "xsd:string") for i in range(10)]
    print(
        f"SPV 10 parameters: {per_call(lambda: tree.set_parameter_values(spv, 'k'), 2000) * 1e6:.1f} us"
    )
    tree.set_parameter_attributes(
        [AttributeChange(f"Device.Rows.{i}.Value1", True, 1) for i in range(1, 21)]
    )
    tree.tracker.poll(0)
    print(
        f"value-change poll, 20 watched: {per_call(lambda: tree.tracker.poll(1), 2000) * 1e6:.1f} us"
    )


if __name__ == "__main__":
    main()
