"""Coverage-guided fuzzing of the pure codecs with atheris (libFuzzer for Python).

Targets (``printbench.loadtest.codec_targets``): ``ipp`` (ipp/codec.py), ``ber``
(snmp/ber.py), ``soap`` (cwmp/soap.py). Each starts from the corpus kept in the repository,
``tests/data/fuzz/<target>/`` (valid requests of each kind; ``tests/fuzz/test_codec_corpus.py``
replays it in the suite), and writes the inputs that found new coverage to a work folder
(``--work``, default a temporary one) so the repository's corpus stays small; a crash is saved
as ``<work>/crash-<sha1>`` and printed with the contract it broke:

    .venv/bin/python benchmarks/fuzz_codecs.py ipp --seconds 60
    .venv/bin/python benchmarks/fuzz_codecs.py soap --runs 200000 --work /tmp/soap-corpus

atheris ships manylinux wheels for CPython 3.11 (no compiler needed); install it with
``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("target", choices=("ipp", "ber", "soap"))
    ap.add_argument("--seconds", type=int, default=60, help="libFuzzer -max_total_time")
    ap.add_argument("--runs", type=int, default=-1, help="libFuzzer -runs (-1: no limit)")
    ap.add_argument("--work", type=Path, default=None, help="folder for new corpus inputs")
    ap.add_argument("--max-len", type=int, default=16384)
    args = ap.parse_args()

    import atheris

    with atheris.instrument_imports():
        import printbench.cwmp.soap
        import printbench.ipp.codec
        import printbench.snmp.ber  # noqa: F401
    from printbench.loadtest.codec_targets import TARGETS

    target = TARGETS[args.target]
    work = args.work or Path(tempfile.mkdtemp(prefix=f"fuzz-{args.target}-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = ROOT / "tests" / "data" / "fuzz" / args.target
    print(f"fuzzing {args.target}: corpus {corpus}, new inputs and crashes in {work}", flush=True)
    argv = [sys.argv[0], str(work), str(corpus), f"-max_total_time={args.seconds}",
            f"-runs={args.runs}", f"-max_len={args.max_len}", f"-artifact_prefix={work}/",
            "-print_final_stats=1"]  # fmt: skip
    atheris.Setup(argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
