"""The public standard files printbench reads: where a copy is found, and how one is fetched.

The BBF CWMP schemas, TR-106 types, TR-181 and the PWG Semantic Model schema are the
standards' own text; the repository does not copy them. ``standards.yaml`` beside this module
pins each file's published location (a repository at a full commit) and its SHA-256.

A copy is looked for, in this order (the first folder holding the file wins):

1. ``$PRINTBENCH_STANDARDS`` (``$PRINTBENCH_SHARED_DATA`` is still read, the old name);
2. the user cache ``$XDG_CACHE_HOME/printbench/standards`` (``~/.cache/...``), which
   ``printbench standards fetch`` fills and verifies;
3. ``../shared/data`` beside a source checkout (how CI and offline machines get them).

Each folder has the layout ``bbf/<file>`` and ``pwg-sm/<file>``. A command that needs a file
no folder has stops with :class:`StandardsMissing`, one line naming the file and the command
that gets it; the CLI prints that line and exits 2 (no traceback).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from printbench.common.settings import checkout_root

FETCH_COMMAND = "printbench standards fetch"


class StandardsError(RuntimeError):
    """A public standard file is missing, or a fetched copy is not the published one."""


class StandardsMissing(StandardsError):
    """No folder holds a file a command needs."""


@dataclass(frozen=True)
class StandardFile:
    """One published file: ``key`` is ``<source>/<name>`` (``bbf/cwmp-1-2.xsd``)."""

    key: str
    sha256: str
    url: str

    @property
    def source(self) -> str:
        return self.key.split("/", 1)[0]


@cache
def manifest() -> dict[str, StandardFile]:
    """Every file of ``standards.yaml`` by key, with its pinned URL."""
    text = resources.files("printbench.common").joinpath("standards.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    out: dict[str, StandardFile] = {}
    for key, digest in data["files"].items():
        source, name = key.split("/", 1)
        src = data["sources"][source]
        out[key] = StandardFile(key, digest, src["url"].format(commit=src["commit"], name=name))
    return out


def cache_dir() -> Path:
    """The user cache that ``printbench standards fetch`` fills."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "printbench" / "standards"


def search_path() -> list[Path]:
    """The folders looked in, in order (see the module docstring)."""
    out: list[Path] = []
    for var in ("PRINTBENCH_STANDARDS", "PRINTBENCH_SHARED_DATA"):
        if os.environ.get(var):
            out.append(Path(os.environ[var]))
    out.append(cache_dir())
    root = checkout_root()
    if root is not None:
        out.append(root.parent / "shared" / "data")
    return out


def find(key: str) -> Path:
    """The local copy of ``key`` (``bbf/tr-106-types.xml``); StandardsMissing if none."""
    looked = search_path()
    for folder in looked:
        candidate = folder / key
        if candidate.is_file():
            return candidate
    where = ", ".join(str(p) for p in looked)
    raise StandardsMissing(
        f"public standard file {key} not found (looked in {where}); "
        f"get the files with: {FETCH_COMMAND}"
    )


#: What the stub ACS reads to judge a CPE: the RPC schemas (every version it negotiates), the
#: TR-181 forcedInform attributes and the TR-106 named types.
JUDGE_FILES = (
    "bbf/cwmp-1-0.xsd",
    "bbf/cwmp-1-1.xsd",
    "bbf/cwmp-1-2.xsd",
    "bbf/cwmp-1-3.xsd",
    "bbf/cwmp-1-4.xsd",
    "bbf/tr-181-2-17-0-cwmp-full.xml",
    "bbf/tr-106-types.xml",
)


def require(keys: Iterable[str]) -> None:
    """Check up front that every file a command will read is there (StandardsMissing if not),
    so the command stops before it starts anything rather than at its first judged message."""
    for key in keys:
        find(key)


def directory(source: str, probe: str) -> Path:
    """The folder holding ``source``'s files, found through one file ``probe`` it must have."""
    return find(f"{source}/{probe}").parent


def bbf_dir() -> Path:
    """The Broadband Forum CWMP and data-model schemas (``bbf/``)."""
    return directory("bbf", "cwmp-1-2.xsd")


def pwg_sm_dir() -> Path:
    """The PWG Semantic Model XML schema 2.905 (``pwg-sm/``)."""
    return directory("pwg-sm", "PwgSemanticModel.xsd")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(folder: Path, keys: Iterable[str] | None = None) -> list[str]:
    """Problems of the copy in ``folder``, one line each (an empty list: it is the published one)."""
    problems: list[str] = []
    files = manifest()
    for key in keys if keys is not None else files:
        path = folder / key
        if not path.is_file():
            problems.append(f"{key}: missing")
        elif (got := sha256_of(path)) != files[key].sha256:
            problems.append(f"{key}: SHA-256 {got}, expected {files[key].sha256}")
    return problems


Progress = Callable[[str, int], None]


def fetch(
    dest: Path | None = None,
    *,
    mirror: str | None = None,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> Path:
    """Download every file into ``dest`` (default: the user cache) and verify each SHA-256.

    ``mirror`` replaces the pinned URLs with ``<mirror>/<source>/<name>`` (a local copy served
    over HTTP, for offline networks and the tests). A file already present with the right
    checksum is not downloaded again. A download whose checksum differs is not kept, and the
    error names the file, the URL and both checksums; nothing half-written is left behind.
    """
    dest = dest or cache_dir()
    for item in manifest().values():
        target = dest / item.key
        if target.is_file() and sha256_of(target) == item.sha256:
            continue
        url = f"{mirror.rstrip('/')}/{item.key}" if mirror else item.url
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".fetch-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    with urllib.request.urlopen(url, timeout=timeout) as resp:
                        for chunk in iter(lambda: resp.read(1 << 16), b""):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
                except (urllib.error.URLError, OSError) as exc:
                    reason = getattr(exc, "reason", exc)
                    raise StandardsError(f"{item.key}: cannot download {url}: {reason}") from None
            if digest.hexdigest() != item.sha256:
                raise StandardsError(
                    f"{item.key}: {url} has SHA-256 {digest.hexdigest()}, expected "
                    f"{item.sha256}: not kept"
                )
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
        if progress:
            progress(item.key, size)
    return dest
