"""Hypothesis against the event parser: whatever arrives, a valid event or a ContractError — nothing else."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import contract as c
from tests.samples import SAMPLES

VALID = [json.loads(c.make_event(t, "main", "st-01", d).to_json()) for t, d in sorted(SAMPLES.items())]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)


def parses_or_refuses(payload: bytes) -> c.Envelope | None:
    try:
        return c.parse_event(payload)
    except c.ContractError as exc:
        assert str(exc)  # the dead letter carries a reason
        return None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_with_a_reason(raw: bytes) -> None:
    parses_or_refuses(raw)


def _set_path(doc: Any, path: list[int], value: Any) -> None:
    """Replace the field that `path` picks (indices into sorted keys, at any depth) with `value`."""
    node = doc
    for depth, i in enumerate(path):
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
        if not keys:
            return
        key = keys[i % len(keys)]
        last = depth == len(path) - 1 or not isinstance(node[key], (dict, list))
        if last:
            node[key] = value
            return
        node = node[key]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(range(len(VALID))), st.lists(st.integers(0, 50), min_size=1, max_size=4), json_values)
def test_a_valid_event_with_any_field_replaced_parses_or_is_refused(which: int, path: list[int], value: Any) -> None:
    doc = json.loads(json.dumps(VALID[which]))
    _set_path(doc, path, value)
    ev = parses_or_refuses(json.dumps(doc).encode())
    if ev is not None:  # what is accepted is still a contract event that re-serialises to itself
        assert c.parse_event(ev.to_json()) == ev


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(VALID))), st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]))
def test_non_finite_numbers_anywhere_in_data_are_refused(which: int, bad: str) -> None:
    doc = VALID[which]
    numbers = [k for k, v in doc["data"].items() if isinstance(v, float) and not isinstance(v, bool)]
    if not numbers:
        return
    text = json.dumps({**doc, "data": {**doc["data"], numbers[0]: "__X__"}}).replace('"__X__"', bad)
    assert parses_or_refuses(text.encode()) is None
