"""Steps for transfers: files the stub ACS serves, uploads it expects and receives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printbench.conformance.steps.base import (
    StepFailed,
    check,
    fs,
    step,
    step_timeout,
)

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step


@step(
    "serve_file",
    value="str",
    keys=fs("content", "size", "save", "auth", "username", "password"),
    needs=fs("acs"),
)
async def serve_file(ctx: Context, st: Step) -> None:
    """Serve a file from the stub ACS for a Download; its URL goes to variable ``save``."""
    acs = ctx.need_acs()
    name = ctx.subst(st.args["_"])
    content = ctx.subst(st.args.get("content"))  # e.g. an upload saved by wait_upload
    data = content.encode() if isinstance(content, str) else bytes(int(st.args.get("size", 1024)))
    acs.add_file(
        name,
        data,
        auth=st.args.get("auth", "none"),
        username=st.args.get("username", ""),
        password=st.args.get("password", ""),
    )
    ctx.vars[st.args.get("save", "file_url")] = acs.file_url(name)
    ctx.vars[st.args.get("save", "file_url") + "_size"] = len(data)


@step("expect_upload", value="str", keys=fs("save"), needs=fs("acs"))
async def expect_upload(ctx: Context, st: Step) -> None:
    """Open an upload slot on the stub ACS; its URL goes to variable ``save``."""
    ctx.vars[st.args.get("save", "upload_url")] = ctx.need_acs().expect_upload(
        ctx.subst(st.args["_"])
    )


@step("wait_upload", value="str", keys=fs("expect", "save"), needs=fs("acs"))
async def wait_upload(ctx: Context, st: Step) -> None:
    """Await a file uploaded by the CPE; ``expect`` applies to {size, content}; ``save``
    keeps them (a configuration backup served back with ``serve_file``)."""
    try:
        up = await ctx.need_acs().wait_upload(ctx.subst(st.args["_"]), step_timeout(ctx, st, 20.0))
    except TimeoutError:
        raise StepFailed("no upload arrived in time") from None
    data = {"size": len(up.content), "content": up.content.decode("utf-8", "replace")}
    if "expect" in st.args:
        check(ctx.subst(st.args["expect"]), data, "upload")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = data
