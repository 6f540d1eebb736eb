"""The public standard files: found, fetched and verified, or one clear line saying what to do."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from printbench.common import standards


@pytest.fixture(scope="module")
def local_copy() -> Path:
    """The copy this machine has (../shared/data beside the checkout, or the user cache)."""
    return standards.bbf_dir().parent


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path, local_copy: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on loopback serving a copy of the files (a mirror we can corrupt)."""
    root = tmp_path / "mirror"
    for source in ("bbf", "pwg-sm"):
        shutil.copytree(local_copy / source, root / source)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_the_pinned_checksums_are_those_of_the_local_copy(local_copy: Path) -> None:
    assert standards.verify(local_copy) == []
    sums = local_copy / "SHA256SUMS"  # the offline copy's own list, where it has one
    if sums.is_file():
        listed = {line.split()[1]: line.split()[0] for line in sums.read_text().splitlines()}
        assert listed == {k: f.sha256 for k, f in standards.manifest().items()}


def test_the_pinned_urls_name_a_full_commit() -> None:
    for item in standards.manifest().values():
        commit = item.url.split("/")[5]
        assert len(commit) == 40 and int(commit, 16) >= 0, item.url


def test_fetch_downloads_and_verifies_every_file(served: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = served
    seen: list[str] = []
    dest = standards.fetch(tmp_path / "cache", mirror=url, progress=lambda k, n: seen.append(k))
    assert sorted(seen) == sorted(standards.manifest())
    assert standards.verify(dest) == []
    seen.clear()
    standards.fetch(dest, mirror=url, progress=lambda k, n: seen.append(k))
    assert seen == [], "files already verified are not downloaded again"


def test_fetch_refuses_a_file_with_the_wrong_checksum(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    (root / "bbf" / "cwmp-1-2.xsd").write_bytes(b"<xs:schema/> tampered")
    with pytest.raises(standards.StandardsError) as info:
        standards.fetch(tmp_path / "cache", mirror=url)
    message = str(info.value)
    assert message.startswith("bbf/cwmp-1-2.xsd: ") and "expected" in message
    assert not (tmp_path / "cache" / "bbf" / "cwmp-1-2.xsd").exists()
    assert not list((tmp_path / "cache" / "bbf").glob(".fetch-*")), "no half-written file left"


def test_fetch_names_an_unreachable_url(tmp_path: Path) -> None:
    with pytest.raises(standards.StandardsError, match=r"cannot download http://127\.0\.0\.1:9/"):
        standards.fetch(tmp_path / "cache", mirror="http://127.0.0.1:9", timeout=2)


def _run_cli(args: list[str], env_extra: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTBENCH_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "printbench.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_where_lists_the_folders_looked_in(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"PRINTBENCH_STANDARDS": str(empty), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = _run_cli(["standards", "where"], env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"absent    {empty}" in proc.stdout
    assert f"absent    {tmp_path / 'cache' / 'printbench' / 'standards'}" in proc.stdout


def test_standards_missing_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(standards, "search_path", lambda: [tmp_path])
    with pytest.raises(standards.StandardsMissing) as info:
        standards.bbf_dir()
    text = str(info.value)
    assert "bbf/cwmp-1-2.xsd not found" in text and "printbench standards fetch" in text
    assert "\n" not in text
