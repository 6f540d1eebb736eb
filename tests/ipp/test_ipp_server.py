"""The IPP server over real HTTP: operations, attribute groups, state consistency, addressing."""

from __future__ import annotations

import gzip

import aiohttp

from printbench.ipp.codec import Attribute, GroupTag, Tag

GPA, PRINT, VALIDATE, CREATE, SEND, CANCEL, GJA, GJ = 0x0B, 0x02, 0x04, 0x05, 0x06, 0x08, 0x09, 0x0A
PAUSE, RESUME, SET, CANCEL_MY, CLOSE, IDENTIFY = 0x10, 0x11, 0x13, 0x39, 0x3B, 0x3C


def _pdf(pages: int) -> bytes:
    body = b"%%PDF-1.4\n2 0 obj << /Type /Pages /Count %d >> endobj\n" % pages
    body += b"".join(
        b"%d 0 obj << /Type /Page /Parent 2 0 R >> endobj\n" % (3 + i) for i in range(pages)
    )
    return body + b"%%EOF\n"


def _printer(resp) -> dict[str, Attribute]:
    return {a.name: a for a in resp.group(GroupTag.PRINTER).attributes}


async def test_ipp_requested_attribute_groups(ipp_server, ipp_call, ipp_request) -> None:
    uri = ipp_server.uri()
    small = await ipp_call(
        ipp_server,
        ipp_request(
            GPA,
            uri,
            ("requested-attributes", Tag.KEYWORD, ["printer-state", "printer-state-reasons"]),
        ),
    )
    assert small.code == 0 and list(_printer(small)) == ["printer-state", "printer-state-reasons"]
    jt = _printer(
        await ipp_call(
            ipp_server, ipp_request(GPA, uri, ("requested-attributes", Tag.KEYWORD, "job-template"))
        )
    )
    assert "copies-default" in jt and "media-col-ready" in jt and "printer-name" not in jt
    pd = _printer(
        await ipp_call(
            ipp_server,
            ipp_request(GPA, uri, ("requested-attributes", Tag.KEYWORD, "printer-description")),
        )
    )
    assert "printer-uuid" in pd and "copies-default" not in pd
    everything = _printer(await ipp_call(ipp_server, ipp_request(GPA, uri)))
    assert set(jt) | set(pd) == set(everything) and "media-col-database" not in everything
    named = _printer(
        await ipp_call(
            ipp_server,
            ipp_request(
                GPA, uri, ("requested-attributes", Tag.KEYWORD, ["all", "media-col-database"])
            ),
        )
    )
    assert named["media-col-database"].tag == Tag.BEG_COLLECTION
    # value syntaxes a CUPS client relies on
    state = ipp_server.devices["127.30.0.1"].state
    assert everything["printer-uuid"].value.startswith("urn:uuid:")
    assert everything["printer-device-id"].value.startswith(
        f"MFG:{state.identity.manufacturer};MDL:"
    )
    assert everything["printer-serial-number"].value == state.identity.serial_number
    assert everything["printer-current-time"].tag == Tag.DATE_TIME
    assert (
        len(everything["printer-supply"].values)
        == len(state.supplies)
        == len(everything["marker-levels"].values)
    )
    first = state.supplies[0]
    assert (
        everything["printer-supply"]
        .values[0]
        .startswith(
            f"index=1;class={first.supply_class};type={first.supply_type};unit={first.unit};".encode()
        )
    )
    assert everything["printer-input-tray"].values[0].startswith(b"type=")
    assert everything["printer-contact-col"].member("contact-name").tag == Tag.NAME


async def test_ipp_unsupported_document_format_is_refused(
    ipp_server, ipp_call, ipp_request
) -> None:
    resp = await ipp_call(
        ipp_server,
        ipp_request(GPA, ipp_server.uri(), ("document-format", Tag.MIME_MEDIA_TYPE, "text/x-nope")),
    )
    assert resp.code == 0x040A
    assert resp.group(GroupTag.UNSUPPORTED).get("document-format") is not None


async def test_ipp_print_job_moves_supplies_and_counters_consistently(
    ipp_server, ipp_call, ipp_request
) -> None:
    device = ipp_server.devices["127.30.0.1"]
    uri = ipp_server.uri()
    wanted = ["printer-supply", "marker-levels"]
    before = _printer(
        await ipp_call(
            ipp_server, ipp_request(GPA, uri, ("requested-attributes", Tag.KEYWORD, wanted))
        )
    )
    life_before = device.state.markers[0].life_count
    resp = await ipp_call(
        ipp_server,
        ipp_request(
            PRINT,
            uri,
            ("requesting-user-name", Tag.NAME, "alice"),
            ("document-format", Tag.MIME_MEDIA_TYPE, "application/pdf"),
            ("compression", Tag.KEYWORD, "gzip"),
            ("job:copies", Tag.INTEGER, 8),
            ("job:print-color-mode", Tag.KEYWORD, "monochrome"),
            data=gzip.compress(_pdf(10)),
        ),
    )
    assert resp.code == 0
    job_id = resp.find("job-id").value
    device.engine.finish_all()
    job = await ipp_call(ipp_server, ipp_request(GJA, uri, ("job-id", Tag.INTEGER, job_id)))
    attrs = {a.name: a.value for a in job.group(GroupTag.JOB).attributes}
    assert attrs["job-state"] == 9 and attrs["job-impressions-completed"] == 80
    assert attrs["job-originating-user-name"] == "alice"
    after = _printer(
        await ipp_call(
            ipp_server, ipp_request(GPA, uri, ("requested-attributes", Tag.KEYWORD, wanted))
        )
    )
    assert device.state.markers[0].life_count == life_before + 80
    # printer-supply and marker-levels are the same state rows, seen two ways
    for supply, raw in zip(device.state.supplies, after["printer-supply"].values, strict=True):
        assert f"level={supply.level};".encode() in raw
    for supply, level in zip(device.state.supplies, after["marker-levels"].values, strict=True):
        assert level == supply.level * 100 // supply.max_capacity
    # 80 impressions of black toner: the black supply level went down
    assert after["marker-levels"].values[0] < before["marker-levels"].values[0]


async def test_ipp_create_send_close_and_cancel(ipp_server, ipp_call, ipp_request) -> None:
    uri = ipp_server.uri()
    created = await ipp_call(
        ipp_server, ipp_request(CREATE, uri, ("requesting-user-name", Tag.NAME, "bob"))
    )
    job_id = created.find("job-id").value
    assert (
        created.find("job-state").value == 4
        and "job-incoming" in created.find("job-state-reasons").values
    )
    sent = await ipp_call(
        ipp_server,
        ipp_request(
            SEND,
            uri,
            ("job-id", Tag.INTEGER, job_id),
            ("last-document", Tag.BOOLEAN, False),
            data=_pdf(2),
        ),
    )
    assert sent.code == 0
    closed = await ipp_call(ipp_server, ipp_request(CLOSE, uri, ("job-id", Tag.INTEGER, job_id)))
    assert closed.code == 0 and closed.find("job-state").value in (3, 5, 9)
    again = await ipp_call(ipp_server, ipp_request(CLOSE, uri, ("job-id", Tag.INTEGER, job_id)))
    assert again.code == 0x0404
    missing = await ipp_call(ipp_server, ipp_request(CANCEL, uri, ("job-id", Tag.INTEGER, 9999)))
    assert missing.code == 0x0406
    # Cancel-My-Jobs cancels bob's open jobs and nobody else's
    mine = await ipp_call(
        ipp_server, ipp_request(CREATE, uri, ("requesting-user-name", Tag.NAME, "bob"))
    )
    theirs = await ipp_call(
        ipp_server, ipp_request(CREATE, uri, ("requesting-user-name", Tag.NAME, "carol"))
    )
    resp = await ipp_call(
        ipp_server, ipp_request(CANCEL_MY, uri, ("requesting-user-name", Tag.NAME, "bob"))
    )
    assert resp.code == 0
    jobs = {j.index: j for j in ipp_server.devices["127.30.0.1"].state.jobs}
    assert jobs[mine.find("job-id").value].state == "canceled"
    assert jobs[theirs.find("job-id").value].state == "pending-held"


async def test_ipp_get_jobs_filters(ipp_server, ipp_call, ipp_request) -> None:
    device = ipp_server.devices["127.30.0.1"]
    device.engine.pause()
    uri = ipp_server.uri()
    for user in ("dave", "dave", "erin"):
        await ipp_call(
            ipp_server,
            ipp_request(PRINT, uri, ("requesting-user-name", Tag.NAME, user), data=_pdf(1)),
        )
    open_jobs = await ipp_call(ipp_server, ipp_request(GJ, uri))
    groups = open_jobs.groups_of(GroupTag.JOB)
    assert len(groups) == 3 and all(
        [a.name for a in g.attributes] == ["job-uri", "job-id"] for g in groups
    )
    dave = await ipp_call(
        ipp_server,
        ipp_request(
            GJ,
            uri,
            ("requesting-user-name", Tag.NAME, "dave"),
            ("my-jobs", Tag.BOOLEAN, True),
            ("limit", Tag.INTEGER, 1),
        ),
    )
    assert len(dave.groups_of(GroupTag.JOB)) == 1
    paused = _printer(
        await ipp_call(
            ipp_server,
            ipp_request(
                GPA,
                uri,
                ("requested-attributes", Tag.KEYWORD, ["printer-state", "printer-state-reasons"]),
            ),
        )
    )
    assert paused["printer-state"].value == 5 and "paused" in paused["printer-state-reasons"].values
    assert (await ipp_call(ipp_server, ipp_request(RESUME, uri))).code == 0
    device.engine.finish_all()
    done = await ipp_call(
        ipp_server,
        ipp_request(
            GJ,
            uri,
            ("which-jobs", Tag.KEYWORD, "completed"),
            ("requested-attributes", Tag.KEYWORD, "all"),
        ),
    )
    assert len(done.groups_of(GroupTag.JOB)) == 3
    assert all(g.get("job-state").value == 9 for g in done.groups_of(GroupTag.JOB))
    bad = await ipp_call(ipp_server, ipp_request(GJ, uri, ("which-jobs", Tag.KEYWORD, "fetched")))
    assert bad.code == 0x040B


async def test_ipp_validation_statuses(ipp_server, ipp_call, ipp_request) -> None:
    uri = ipp_server.uri()
    wrong = await ipp_call(
        ipp_server, ipp_request(GPA, uri, ("requested-attributes", Tag.INTEGER, 5))
    )
    assert wrong.code == 0x0400 and wrong.group(GroupTag.UNSUPPORTED).get("requested-attributes")
    fidelity = await ipp_call(
        ipp_server,
        ipp_request(
            VALIDATE,
            uri,
            ("ipp-attribute-fidelity", Tag.BOOLEAN, True),
            ("job:media", Tag.KEYWORD, "iso_a0_841x1189mm"),
        ),
    )
    assert fidelity.code == 0x040B and fidelity.group(GroupTag.UNSUPPORTED).get("media")
    lenient = await ipp_call(
        ipp_server, ipp_request(VALIDATE, uri, ("job:media", Tag.KEYWORD, "iso_a0_841x1189mm"))
    )
    assert lenient.code == 0x0001
    unknown_op = await ipp_call(ipp_server, ipp_request(0x4000, uri))
    assert unknown_op.code == 0x0501
    identify = await ipp_call(
        ipp_server,
        ipp_request(IDENTIFY, uri, ("identify-actions", Tag.KEYWORD, ["flash", "sound"])),
    )
    assert identify.code == 0
    elsewhere = await ipp_call(ipp_server, ipp_request(GPA, "ipp://127.30.0.1/printers/other"))
    assert elsewhere.code == 0x0406


async def test_ipp_one_listener_many_printers_and_power_off(
    ipp_server, ipp_call, ipp_request
) -> None:
    names = {}
    for host in ipp_server.devices:
        resp = await ipp_call(
            ipp_server,
            ipp_request(
                GPA,
                ipp_server.uri(host),
                (
                    "requested-attributes",
                    Tag.KEYWORD,
                    ["printer-serial-number", "printer-uri-supported"],
                ),
            ),
            host=host,
        )
        attrs = _printer(resp)
        names[host] = attrs["printer-serial-number"].value
        assert attrs["printer-uri-supported"].value == ipp_server.uri(host)
        assert names[host] == ipp_server.devices[host].state.identity.serial_number
    assert len(set(names.values())) == 2
    ipp_server.devices["127.30.0.2"].engine.power_off()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"http://127.30.0.2:{ipp_server.port}/ipp/print",
            data=b"\x02\x00\x00\x0b",
            headers={"Content-Type": "application/ipp"},
        ) as resp:
            assert resp.status == 503
        async with session.post(
            f"http://127.30.0.1:{ipp_server.port}/ipp/print",
            data=b"x",
            headers={"Content-Type": "text/plain"},
        ) as resp:
            assert resp.status == 400
    assert (await ipp_call(ipp_server, ipp_request(GPA, ipp_server.uri()))).code == 0
