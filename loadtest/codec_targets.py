"""What a codec must do with any bytes: the targets of the coverage-guided codec fuzzer
(``benchmarks/fuzz_codecs.py``, atheris) and of the corpus replay test.

Each target decodes the input and raises :class:`CodecBug` when the codec breaks its
contract: raising anything but its own error (IPP: ``IppDecodeError``, RFC 8010 §3; SNMP:
``BerError``, RFC 3417 §8 wants a malformed message dropped and counted; CWMP: a
``CwmpDecodeError`` that is not the "internal decoder error" safety net, TR-069 §3.4.3 wants
a 8002/8003 Fault), or, for a message it accepted, failing to encode it again or decoding
that encoding differently (the codec would then answer something else than it read).
"""

from __future__ import annotations

from collections.abc import Callable


class CodecBug(AssertionError):
    """A codec broke its contract on this input."""


def ipp_target(data: bytes) -> None:
    from printbench.ipp.codec import IppDecodeError, IppEncodeError, decode, encode

    try:
        msg = decode(data)
    except IppDecodeError:
        return
    except Exception as exc:
        raise CodecBug(f"IPP decode raised {type(exc).__name__}: {exc}") from exc
    try:
        again = encode(msg)
    except IppEncodeError:
        return  # values a request may carry but this codec does not send (documented)
    except Exception as exc:
        raise CodecBug(f"IPP encode of a decoded message raised {type(exc).__name__}") from exc
    if decode(again) != msg:
        raise CodecBug("IPP decode(encode(msg)) != msg")


def ber_target(data: bytes) -> None:
    from printbench.snmp import ber

    try:
        msg = ber.decode_message(data)
    except ber.BerError:
        return
    except Exception as exc:
        raise CodecBug(f"BER decode raised {type(exc).__name__}: {exc}") from exc
    try:
        vbs = b"".join(ber.encode_varbind(oid, value) for oid, value in msg.varbinds)
        again = ber.encode_message(msg.version, msg.community, msg.pdu_type, msg.request_id,
                                   msg.error_status, msg.error_index, vbs)  # fmt: skip
    except ValueError:
        return
    except Exception as exc:
        raise CodecBug(f"BER encode of a decoded message raised {type(exc).__name__}") from exc
    if ber.decode_message(again) != msg:
        raise CodecBug("BER decode(encode(msg)) != msg")


def soap_target(data: bytes) -> None:
    from printbench.cwmp import soap
    from printbench.cwmp.errors import CwmpDecodeError

    try:
        env = soap.decode(data)
    except CwmpDecodeError as exc:
        if str(exc).startswith("internal decoder error") or "internal decoder error" in str(exc):
            raise CodecBug(f"SOAP decode hit its safety net: {exc}") from exc
        return
    except Exception as exc:
        raise CodecBug(f"SOAP decode raised {type(exc).__name__}: {exc}") from exc
    try:
        soap.encode(env, replace_unencodable=True)
    except Exception as exc:
        raise CodecBug(
            f"SOAP encode of a decoded envelope raised {type(exc).__name__}: {exc}"
        ) from exc


TARGETS: dict[str, Callable[[bytes], None]] = {
    "ipp": ipp_target,
    "ber": ber_target,
    "soap": soap_target,
}
