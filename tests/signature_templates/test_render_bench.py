"""`python -m bench.render` runs end to end on a few teammates (a smoke test: no timing asserted)."""

from __future__ import annotations

import json
import sys

import pytest

from bench import render as bench_render


def test_bench_prints_one_json_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The benchmark renders every synthetic teammate and prints its figures as one JSON line."""
    monkeypatch.setattr(sys, "argv", ["bench.render", "--teammates", "25"])
    bench_render.main()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["teammates"] == 25 and figures["distinct_hashes"] == 25
    assert figures["render_all_s"] > 0 and figures["per_signature_us"] > 0
    assert figures["style_inlined_once"] is True  # the starter's <style> block is inlined at compile time
