"""The channel between the grader and its sandboxed workers: length-prefixed, size-capped frames.

Both sides import this module (it is in ``grader.sandbox.WORKER_FILES``). A
frame is a 4-byte big-endian length, that many bytes of JSON (an object), a
4-byte length and that many bytes of payload (possibly none). The worker sends
its events this way; a check's arrays travel as the payload of its ``end``
event (raw bytes, described by ``[name, dtype, shape]`` entries in the JSON),
an executed notebook as the payload of a notebook's ``end``. Nothing is ever
read back from the job folder by path, so nothing the submission plants there
(a symbolic link to a host file or to another worker's pipe, a FIFO, ``/dev/zero``)
is followed.

The trusted side parses with ``FrameReader``: every length is checked against a
cap before anything is buffered, and anything malformed raises
``ProtocolError``, which the runner treats as a violation (it kills the
sandbox and fails the check). ``unpack_arrays`` rebuilds arrays from the
payload with every size checked: no pickle, no zip, no decompression.
"""
from __future__ import annotations

import json
import re
import struct

#: Largest JSON part of a frame, and the default largest payload.
MAX_HEADER = 64 << 10
MAX_PAYLOAD = 64 << 20
#: dtypes an output array may have: booleans, integers, floats, complex numbers, of a plain size.
_DTYPE = re.compile(r"^[<>|=]?[biufc][0-9]{1,2}$")
#: Output arrays per check: under grade a check returns its outputs for each of its 1 + K cases
#: (grader.checks.cases), up to 29 arrays per case today (fc_net_loss).
_MAX_ARRAYS = 512
_MAX_DIMS = 8


class ProtocolError(Exception):
    """What came over the channel is not what the protocol allows (one line, for the report)."""


def frame(event: dict, payload: bytes = b"") -> bytes:
    head = json.dumps(event).encode()
    return struct.pack(">I", len(head)) + head + struct.pack(">I", len(payload)) + payload


class FrameReader:
    """Accumulates bytes from the worker and yields ``(event, payload)`` frames, refusing oversized ones."""

    def __init__(self, max_payload: int = MAX_PAYLOAD):
        self.max_payload = max_payload
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        self._buf += data
        frames = []
        while True:
            if len(self._buf) < 4:
                return frames
            (hlen,) = struct.unpack(">I", self._buf[:4])
            if hlen > MAX_HEADER:
                raise ProtocolError(f"an event of {hlen} bytes (the limit is {MAX_HEADER})")
            if len(self._buf) < 8 + hlen:
                return frames
            (plen,) = struct.unpack(">I", self._buf[4 + hlen:8 + hlen])
            if plen > self.max_payload:
                raise ProtocolError(f"outputs of {plen} bytes (the limit is {self.max_payload >> 20} MiB)")
            if len(self._buf) < 8 + hlen + plen:
                return frames
            try:
                event = json.loads(bytes(self._buf[4:4 + hlen]))
            except (ValueError, UnicodeDecodeError):
                raise ProtocolError("an event that is not JSON") from None
            if not isinstance(event, dict) or not isinstance(event.get("event"), str):
                raise ProtocolError("an event that is not an object with a name")
            payload = bytes(self._buf[8 + hlen:8 + hlen + plen])
            del self._buf[:8 + hlen + plen]
            frames.append((event, payload))

    @property
    def pending(self) -> int:
        return len(self._buf)


def pack_arrays(arrays: dict) -> tuple[list, bytes]:
    """(``[[name, dtype, shape], ...]``, the arrays' bytes in C order, concatenated): the worker's side."""
    import numpy as np

    spec, parts = [], []
    for name, value in arrays.items():
        a = np.asarray(value)  # (not ascontiguousarray: it makes a 0-d array 1-d)
        spec.append([str(name), a.dtype.str, list(a.shape)])
        parts.append(a.tobytes(order="C"))
    return spec, b"".join(parts)


def unpack_arrays(spec, payload: bytes) -> dict:
    """The arrays ``pack_arrays`` sent, every name, dtype, shape and size checked (ProtocolError otherwise)."""
    import numpy as np

    if not isinstance(spec, list) or len(spec) > _MAX_ARRAYS:
        raise ProtocolError("outputs without a valid description")
    arrays, offset = {}, 0
    for entry in spec:
        name, dt, shape = _entry(entry, arrays)
        count = 1
        for d in shape:
            count *= d
        size = count * dt.itemsize
        if offset + size > len(payload):
            raise ProtocolError("outputs shorter than they say")
        arrays[name] = np.frombuffer(payload, dtype=dt, count=count, offset=offset).reshape(shape).copy()
        offset += size
    if offset != len(payload):
        raise ProtocolError("outputs longer than they say")
    return arrays


def _entry(entry, seen: dict):
    """One ``[name, dtype, shape]`` of an output description, checked: (name, numpy dtype, shape)."""
    import numpy as np

    if not (isinstance(entry, list) and len(entry) == 3):
        raise ProtocolError("outputs without a valid description")
    name, dtype, shape = entry
    if not (isinstance(name, str) and len(name) <= 100 and name.isidentifier()) or name in seen:
        raise ProtocolError("an output with an invalid name")
    if not (isinstance(dtype, str) and _DTYPE.match(dtype)):
        raise ProtocolError("returned a value that is not a plain numeric array")
    if not (
        isinstance(shape, list)
        and len(shape) <= _MAX_DIMS
        and all(type(d) is int and 0 <= d <= MAX_PAYLOAD for d in shape)
    ):
        raise ProtocolError("an output with an invalid shape")
    try:
        return name, np.dtype(dtype), shape
    except TypeError:
        raise ProtocolError("returned a value that is not a plain numeric array") from None


class HeadTail:
    """The first and the last ``keep`` bytes of a stream of any length (a worker's stdout and stderr)."""

    def __init__(self, keep: int = 64 << 10):
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self.keep - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.keep:
                del self.tail[: len(self.tail) - self.keep]

    def text(self) -> str:
        """Head, a line saying how much was left out, tail (for the instructor's log)."""
        skipped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {skipped} bytes left out ...]\n".encode() if skipped > 0 else b""
        return (bytes(self.head) + middle + bytes(self.tail)).decode("utf-8", "replace")

    def last_line(self, limit: int = 200) -> str:
        lines = (bytes(self.tail or self.head)[-400:]).decode("utf-8", "replace").strip().splitlines()
        line = lines[-1] if lines else ""
        return "".join(ch for ch in line if ch.isprintable())[:limit]
