"""``printbench datamodel build``: the command as users run it."""

from __future__ import annotations

import argparse

from printbench.datamodel import cli


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="printbench")
    cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_check_outside_a_checkout_compares_the_generated_files_only(monkeypatch, capsys):
    """Installed from a wheel there is no README to re-render (``build.README`` is None), so
    ``--check`` judges the generated files alone instead of stopping with a traceback."""
    monkeypatch.setattr(cli, "README", None)
    assert _run(["datamodel", "build", "--check"]) == 0
    assert "out of date" not in capsys.readouterr().out
