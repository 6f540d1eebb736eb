"""A seeded, bounded byte mutator: the same seed gives the same inputs on every machine.

The face fuzzers (:mod:`printbench.loadtest.fuzz`) start from valid requests of each
protocol (the seeds) and send mutations of them, so most inputs get past the first checks
and reach the deeper parsing. The operators are the classic ones of AFL/libFuzzer's
mutators (bit flips, "interesting" bytes and integers at random places, block deletion,
duplication, insertion, splicing two seeds, truncation), a few stacked per case.

Pure: no I/O, ``random.Random(seed)`` only, and every output is at most ``max_len`` bytes
(a fuzzer must not itself be a memory hog).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

#: Bytes and integers that sit on parsers' boundaries (sign, length, ASCII specials).
INTERESTING_8 = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x0A, 0x0D, 0x20, 0x22, 0x25, 0x3C, 0x5C)
INTERESTING_16 = (0x0000, 0x0001, 0x007F, 0x0080, 0x00FF, 0x0100, 0x7FFF, 0x8000, 0xFFFF)
INTERESTING_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x00010000)
#: Tokens worth inserting into text protocols (HTTP heads, XML, JSON).
TOKENS = (
    b"\r\n", b"\x00", b"%00", b"%", b"..", b"/../", b"\"", b"'", b"<", b">", b"&", b"]]>",
    b"<!ENTITY x SYSTEM \"file:///etc/passwd\">", b"&x;", b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80",
    b"-1", b"99999999999999999999", b"NaN", b"null", b"{}", b"[]", b"::", b"[::1/", b"\t",
    b"Content-Length: 0\r\n", b"Transfer-Encoding: chunked\r\n", b"Expect: 100-continue\r\n",
)  # fmt: skip


class Mutator:
    """Mutations of ``seeds``, reproducible from ``seed``."""

    def __init__(self, seeds: Sequence[bytes], seed: int, *, max_len: int = 65536,
                 max_stack: int = 4) -> None:  # fmt: skip
        if not seeds:
            raise ValueError("a mutator needs at least one seed input")
        self.seeds = list(seeds)
        self.rng = random.Random(seed)
        self.max_len = max_len
        self.max_stack = max_stack

    def cases(self, n: int) -> Iterator[bytes]:
        """``n`` mutated inputs."""
        for _ in range(n):
            yield self.one()

    def one(self) -> bytes:
        """One input: a seed with 1..max_stack mutations stacked."""
        rng = self.rng
        data = bytearray(rng.choice(self.seeds))
        for _ in range(rng.randint(1, self.max_stack)):
            op = rng.randrange(10)
            data = getattr(self, f"_op{op}")(data)
            if len(data) > self.max_len:
                del data[self.max_len :]
        return bytes(data)

    # -- operators ------------------------------------------------------------------------

    def _pos(self, data: bytearray) -> int:
        return self.rng.randrange(len(data)) if data else 0

    def _op0(self, data: bytearray) -> bytearray:  # flip one bit
        if data:
            i = self._pos(data)
            data[i] ^= 1 << self.rng.randrange(8)
        return data

    def _op1(self, data: bytearray) -> bytearray:  # interesting byte
        if data:
            data[self._pos(data)] = self.rng.choice(INTERESTING_8)
        return data

    def _op2(self, data: bytearray) -> bytearray:  # random byte
        if data:
            data[self._pos(data)] = self.rng.randrange(256)
        return data

    def _op3(self, data: bytearray) -> bytearray:  # interesting 16/32-bit integer, big-endian
        rng = self.rng
        if rng.random() < 0.5:
            blob = rng.choice(INTERESTING_16).to_bytes(2, "big")
        else:
            blob = rng.choice(INTERESTING_32).to_bytes(4, "big")
        i = self._pos(data)
        data[i : i + len(blob)] = blob
        return data

    def _op4(self, data: bytearray) -> bytearray:  # delete a block
        if data:
            i = self._pos(data)
            del data[i : i + self.rng.randint(1, 16)]
        return data

    def _op5(self, data: bytearray) -> bytearray:  # duplicate a block in place
        if data:
            i = self._pos(data)
            block = data[i : i + self.rng.randint(1, 64)]
            data[i:i] = block * self.rng.randint(1, 8)
        return data

    def _op6(self, data: bytearray) -> bytearray:  # insert a token
        i = self._pos(data)
        data[i:i] = self.rng.choice(TOKENS)
        return data

    def _op7(self, data: bytearray) -> bytearray:  # splice with another seed
        other = self.rng.choice(self.seeds)
        i, j = self._pos(data), self.rng.randrange(len(other) + 1)
        return bytearray(data[:i] + other[j:])

    def _op8(self, data: bytearray) -> bytearray:  # truncate
        if data:
            del data[self._pos(data) :]
        return data

    def _op9(self, data: bytearray) -> bytearray:  # add or subtract a small number from a byte
        if data:
            i = self._pos(data)
            data[i] = (data[i] + self.rng.choice((-2, -1, 1, 2, 16, -16))) % 256
        return data
