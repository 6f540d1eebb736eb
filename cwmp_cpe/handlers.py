"""The parameter RPCs of a CPE over a ``cwmp.params.ParameterTree`` (pure, no I/O).

Each function maps a typed request to a typed response or a ``cwmp.messages.Fault``; the
tree enforces TR-069's rules (names, types, atomic SPV, attributes, ParameterKey) and raises
``ParameterFault`` with the fault code, which becomes the Fault here. The runtime adds the
device RPCs (Reboot, Download, ...) on top; quirks that bend these answers are applied here.
"""

from __future__ import annotations

from collections.abc import Callable

from printbench.cwmp import messages as m
from printbench.cwmp import params as P

Handler = Callable[[m.Message], m.Message]


def _fault(exc: P.ParameterFault) -> m.Fault:
    return exc.to_fault()


def get_parameter_values(tree: P.ParameterTree, req: m.GetParameterValues) -> m.Message:
    try:
        values = tree.get_parameter_values(list(req.parameter_names))
    except P.ParameterFault as exc:
        return _fault(exc)
    return m.GetParameterValuesResponse(
        tuple(m.ParameterValueStruct(v.name, v.value, v.xsi_type) for v in values)
    )


def set_parameter_values(
    tree: P.ParameterTree, req: m.SetParameterValues, *, freeze_key: bool = False
) -> m.Message:
    old_key = tree.parameter_key
    try:
        status = tree.set_parameter_values(list(req.parameter_list), req.parameter_key)
    except P.ParameterFault as exc:
        return _fault(exc)
    if freeze_key:
        tree.parameter_key = old_key
    return m.SetParameterValuesResponse(status)


def get_parameter_names(
    tree: P.ParameterTree, req: m.GetParameterNames, *, ignore_next_level: bool = False
) -> m.Message:
    next_level = False if ignore_next_level else req.next_level
    try:
        infos = tree.get_parameter_names(req.parameter_path, next_level)
    except P.ParameterFault as exc:
        return _fault(exc)
    return m.GetParameterNamesResponse(
        tuple(m.ParameterInfoStruct(i.name, i.writable) for i in infos)
    )


def set_parameter_attributes(tree: P.ParameterTree, req: m.SetParameterAttributes) -> m.Message:
    changes = [
        P.AttributeChange(
            s.name, s.notification_change, s.notification, s.access_list_change, s.access_list
        )
        for s in req.parameter_list
    ]
    try:
        tree.set_parameter_attributes(changes)
    except P.ParameterFault as exc:
        return _fault(exc)
    return m.SetParameterAttributesResponse()


def get_parameter_attributes(tree: P.ParameterTree, req: m.GetParameterAttributes) -> m.Message:
    try:
        attrs = tree.get_parameter_attributes(list(req.parameter_names))
    except P.ParameterFault as exc:
        return _fault(exc)
    return m.GetParameterAttributesResponse(
        tuple(m.ParameterAttributeStruct(a.name, a.notification, a.access_list) for a in attrs)
    )


def add_object(tree: P.ParameterTree, req: m.AddObject, *, freeze_key: bool = False) -> m.Message:
    old_key = tree.parameter_key
    try:
        result = tree.add_object(req.object_name, req.parameter_key)
    except P.ParameterFault as exc:
        return _fault(exc)
    if freeze_key:
        tree.parameter_key = old_key
    return m.AddObjectResponse(result.instance_number, result.status)


def delete_object(
    tree: P.ParameterTree, req: m.DeleteObject, *, freeze_key: bool = False
) -> m.Message:
    old_key = tree.parameter_key
    try:
        status = tree.delete_object(req.object_name, req.parameter_key)
    except P.ParameterFault as exc:
        return _fault(exc)
    if freeze_key:
        tree.parameter_key = old_key
    return m.DeleteObjectResponse(status)


def parameter_handlers(tree: P.ParameterTree, quirks: frozenset[str]) -> dict[type, Handler]:
    """Handlers for the seven parameter RPCs, with the tree-related quirks applied."""
    freeze = "parameter-key-frozen" in quirks
    ignore_nl = "gpn-ignore-next-level" in quirks
    return {
        m.GetParameterValues: lambda r: get_parameter_values(tree, r),
        m.SetParameterValues: lambda r: set_parameter_values(tree, r, freeze_key=freeze),
        m.GetParameterNames: lambda r: get_parameter_names(tree, r, ignore_next_level=ignore_nl),
        m.SetParameterAttributes: lambda r: set_parameter_attributes(tree, r),
        m.GetParameterAttributes: lambda r: get_parameter_attributes(tree, r),
        m.AddObject: lambda r: add_object(tree, r, freeze_key=freeze),
        m.DeleteObject: lambda r: delete_object(tree, r, freeze_key=freeze),
    }
