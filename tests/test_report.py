"""The HTML backtest report (leadscore/evaluation/report.py): labels that cannot overlap, one notation
for conditions, no toolbar. The page as a whole is tested in tests/test_backtest.py."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from leadscore.evaluation.backtest import Record, Stage, compute

pytest.importorskip("plotly", reason="the `report` extra (plotly) is not installed: pip install -e '.[report]'")

from leadscore.evaluation.report import distribution_figure, gains_figure, lift_figure, page  # noqa: E402


def two_stages_at_the_start():
    """Forty leads; two stages reached by the two and the three best: both marks sit at the
    start of the gains curve (5% and 7.5% of leads, the same recall), where text beside them
    overlaps."""
    scores = [100 - i for i in range(40)]
    outcomes = [i % 3 == 0 for i in range(40)]
    reached = [("mql", "sql") if i < 2 else ("mql",) if i < 3 else () for i in range(40)]
    rows = [Record(s, o, None, r, i) for i, (s, o, r) in enumerate(zip(scores, outcomes, reached))]
    return compute(rows, stages=[Stage("mql", "score >= 98"), Stage("sql", "score >= 99")])


def text_labels(figure) -> list:
    """(x, y, text) of every label drawn on the chart: traces drawn with text, and annotations."""
    labels = []
    for trace in figure.data:
        if "text" in (getattr(trace, "mode", None) or "") and trace.text is not None:
            labels += [(x, y, t) for x, y, t in zip(trace.x, trace.y, trace.text)]
    labels += [(a.x, a.y, a.text) for a in figure.layout.annotations if a.x is not None and a.y is not None]
    return labels


@pytest.mark.parametrize("make", [gains_figure, distribution_figure, lift_figure])
def test_no_two_labels_share_a_place(make):
    labels = text_labels(make(two_stages_at_the_start()))
    for (x1, y1, a), (x2, y2, b) in itertools.combinations(labels, 2):
        assert math.hypot(x1 - x2, y1 - y2) > 10, f"labels {a!r} and {b!r} overlap"


def test_stages_are_told_apart_by_marker_legend_and_hover():
    figure = gains_figure(two_stages_at_the_start())
    marks = [t for t in figure.data if t.name.startswith("stage ")]
    assert [t.name for t in marks] == ["stage mql", "stage sql"]
    assert all(t.mode == "markers" and t.showlegend is not False for t in marks)
    assert len({t.marker.symbol for t in marks}) == 2
    assert "score &gt;= 98" in marks[0].hovertext[0] and "score &gt;= 99" in marks[1].hovertext[0]


def test_conditions_are_written_one_way_as_the_language_writes_them():
    backtest = two_stages_at_the_start()
    text = page(backtest)
    assert "≥" not in text and "&ge;" not in text
    # the cut-off of the same volume: the same words in the text output, the table and the hover
    assert "score >= 99" in backtest.text()
    assert "<td class=\"text\">score &gt;= 99</td>" in text
    gains = gains_figure(backtest).data[0]
    assert "score >= 99<br>" in " ".join(gains.hovertext)


def test_the_plotly_toolbar_is_hidden():
    text = page(two_stages_at_the_start())
    configs = re.findall(r'"displayModeBar":\s*(\w+)', text)
    assert configs == ["false"] * 3, "each of the three charts hides its toolbar"
