"""The codec fuzzers' corpus (tests/data/fuzz/, used by benchmarks/fuzz_codecs.py with
atheris) replayed in the suite, plus seeded mutations of it: each codec keeps its contract
(loadtest/codec_targets.py) on every input."""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.loadtest.codec_targets import TARGETS, CodecBug
from printbench.loadtest.mutate import Mutator

CORPUS = Path(__file__).parent.parent / "data" / "fuzz"


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_corpus_and_its_mutations_keep_the_codec_contract(target: str) -> None:
    files = sorted((CORPUS / target).iterdir())
    assert len(files) >= 5
    seeds = [f.read_bytes() for f in files]
    check = TARGETS[target]
    for data in seeds:  # the corpus is valid input: each decodes and round-trips
        check(data)
    bugs = []
    for i, data in enumerate(Mutator(seeds, 17).cases(3000)):
        try:
            check(data)
        except CodecBug as exc:
            bugs.append(f"case {i}: {exc} [{data[:80]!r}]")
    assert bugs == []

