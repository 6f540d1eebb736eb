"""The job-ticket defaults IPP answers and the SM's DefaultPrintJobTicket are one value.

Before: job-priority-default, job-hold-until-default, multiple-document-handling-default,
print-content-optimize-default and print-rendering-intent-default were constants of the IPP
face, while the TR-069 view served the same SM parameters as unbound stored values that read
back invalid for their own types ("" for keyword unions, JobPriority 0 outside 1..100) and
never reached IPP. Checked with CUPS's ipptool as the IPP peer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.cwmp import params as P
from printbench.emulator.tr069.view import printer_tree
from tests.ipp.test_ipp_ipptool import assert_clean, ipptool

pytestmark = pytest.mark.interop

TICKET = "Device.Services.PrintService.1.Defaults.DefaultPrintJobTicket."

READ_DEFAULTS = """
{
  NAME "Get-Printer-Attributes: the defaults written through TR-069"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes job-priority-default,job-hold-until-default,multiple-document-handling-default,print-content-optimize-default,print-rendering-intent-default
  STATUS successful-ok
  EXPECT job-priority-default OF-TYPE integer COUNT 1 WITH-VALUE 70
  EXPECT job-hold-until-default OF-TYPE keyword COUNT 1 WITH-VALUE indefinite
  EXPECT multiple-document-handling-default OF-TYPE keyword WITH-VALUE separate-documents-uncollated-copies
  EXPECT print-content-optimize-default OF-TYPE keyword WITH-VALUE text-and-graphic
  EXPECT print-rendering-intent-default OF-TYPE keyword WITH-VALUE perceptual
}
"""


def _set(tree: P.ParameterTree, values: dict[str, str]) -> None:
    tree.set_parameter_values(
        [(TICKET + k, v, "xsd:unsignedInt" if k.endswith("Priority") else "xsd:string")
         for k, v in values.items()],
        "defaults",
    )  # fmt: skip


async def test_defaults_written_through_tr069_are_what_ipp_answers(
    ipp_server, ipp_workdir: Path
) -> None:
    device = ipp_server.devices["127.30.0.1"]
    tree, _ = printer_tree(device.state, device.clock, strict_reads=True)
    before = {
        v.name: v.value for v in tree.get_parameter_values([TICKET])
        if v.name.rsplit(".", 1)[-1] in ("JobPriority", "JobHoldUntil")
    }  # fmt: skip
    assert before == {
        TICKET + "PrintJobProcessing.JobPriority": "50",
        TICKET + "PrintJobProcessing.JobHoldUntil": "NoHold",
    }
    _set(tree, {
        "PrintJobProcessing.JobPriority": "70",
        "PrintJobProcessing.JobHoldUntil": "Indefinite",
        "PrintJobProcessing.MultipleDocumentsHandling": "SeparateDocumentsUncollatedCopies",
        "PrintDocumentProcessing.PrintContentOptimize": "TextAndGraphics",
        "PrintDocumentProcessing.PrintRenderingIntent": "Perceptual",
    })  # fmt: skip
    (ipp_workdir / "read-defaults.test").write_text(READ_DEFAULTS)
    run = await ipptool(ipp_workdir, "-t", ipp_server.uri(), "read-defaults.test")
    assert_clean(run, 1)


def test_a_default_the_printer_does_not_offer_is_refused(ipp_make_device) -> None:
    device = ipp_make_device("127.30.0.9", seed=9)
    tree, _ = printer_tree(device.state, device.clock)
    # SM JobHoldUntil allows Evening; job-hold-until-supported does not offer it (RFC 8011
    # §5.2.2 lets a printer support a subset), so the write faults and nothing changes.
    with pytest.raises(P.ParameterFault) as err:
        _set(tree, {"PrintJobProcessing.JobHoldUntil": "Evening"})
    assert err.value.code == 9003
    assert [f.code for f in err.value.spv_faults] == [9007]
    assert device.state.defaults.job_hold_until == "no-hold"
