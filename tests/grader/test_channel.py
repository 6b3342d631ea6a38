"""Does the trusted side read back exactly what the worker packed, and refuse every malformed description?"""

from __future__ import annotations

import numpy as np
import pytest

from grader.channel import FrameReader, ProtocolError, frame, pack_arrays, unpack_arrays


def test_arrays_round_trip_with_their_dtype_and_shape():
    arrays = {"out": np.arange(6, dtype=np.float64).reshape(2, 3), "idx": np.array([1, 2], dtype=np.int32)}
    spec, payload = pack_arrays(arrays)
    back = unpack_arrays(spec, payload)
    assert set(back) == {"out", "idx"}
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and back[name].shape == a.shape and np.array_equal(back[name], a)
        assert back[name].flags.writeable  # a copy, not a view of the payload


def _spec(shape=(2,), dtype="<f8", name="x"):
    return [[name, dtype, list(shape)]]


@pytest.mark.parametrize(
    "spec, payload, reason",
    [
        ("not a list", b"", "without a valid description"),
        ([["x", "<f8"]], b"", "without a valid description"),
        (_spec(name="not an identifier"), bytes(16), "invalid name"),
        (_spec() + _spec(), bytes(32), "invalid name"),  # the same name twice
        (_spec(dtype="|O"), bytes(16), "not a plain numeric array"),
        (_spec(dtype="<U4"), bytes(16), "not a plain numeric array"),
        (_spec(shape=(-1,)), bytes(16), "invalid shape"),
        (_spec(shape=(1,) * 9), bytes(8), "invalid shape"),
        ([["x", "<f8", [2.0]]], bytes(16), "invalid shape"),
        (_spec(shape=(3,)), bytes(16), "shorter than they say"),
        (_spec(shape=(1,)), bytes(16), "longer than they say"),
        ([["a", "<f8", [0]]] * 513, b"", "without a valid description"),
    ],
)
def test_a_malformed_description_is_a_protocol_error(spec, payload, reason):
    with pytest.raises(ProtocolError, match=reason):
        unpack_arrays(spec, payload)


def test_frames_split_anywhere_are_reassembled_and_an_oversized_one_refused():
    data = frame({"event": "start", "id": "a"}) + frame({"event": "end", "id": "a"}, b"\x00" * 10)
    reader = FrameReader()
    got = [e for i in range(len(data)) for e in reader.feed(data[i : i + 1])]
    assert [(e["event"], len(p)) for e, p in got] == [("start", 0), ("end", 10)]
    with pytest.raises(ProtocolError):
        FrameReader(max_payload=4).feed(frame({"event": "end"}, b"\x00" * 10))
