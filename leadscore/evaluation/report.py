"""The backtest as one self-contained HTML page (`leadscore backtest --report FILE.html`).

The charts are drawn with Plotly (the optional `report` extra:
`pip install 'leadscore[report]'`). The page embeds plotly.js itself, so it
opens offline, from a mail attachment or a CI artifact, with nothing to
fetch. Charts: the gains curve (share of conversions caught against share
of leads worked, best score first, with chance and a perfect ranking for
comparison, and each stage marked), the score distribution of converted
and not-converted leads, and the lift per score decile. The tables repeat
`backtest`'s text output.
"""

from __future__ import annotations

import html
import json
import math
from itertools import cycle

from ..batch.io.atomic import atomic_output
from .backtest import cutoff

EXTRA = "report"


class ReportUnavailable(Exception):
    """The plotting library of the `report` extra is not installed."""


def require():
    """`write` when the report extra is installed; else ReportUnavailable with the fix in one line."""
    try:
        import plotly.graph_objects  # noqa: F401
        import plotly.io  # noqa: F401
        import plotly.offline  # noqa: F401
    except ImportError:
        raise ReportUnavailable(f"--report needs the `{EXTRA}` extra (Plotly), which is not installed: "
                                f"pip install 'leadscore[{EXTRA}]'") from None
    return write


# ---- the charts --------------------------------------------------------------------

CONVERTED, NOT_CONVERTED = "#1b7f3b", "#8a8f98"


# Stages are told apart by their marker and named in the legend and on hover, never by text
# beside the point: stages of similar volume sit at the start of the curve, where labels overlap.
STAGE_SYMBOLS = ("diamond", "square", "triangle-up", "circle", "star", "x")


def gains_figure(backtest):
    import plotly.graph_objects as go
    points = backtest.gains()
    x = [100 * p[0] for p in points]
    y = [100 * p[1] for p in points]
    hover = ["start" if p[2] is None else
             f"{cutoff(p[2])}<br>{100 * p[0]:.1f}% of leads<br>{100 * p[1]:.1f}% of conversions"
             for p in points]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="this model", line={"color": CONVERTED, "width": 3},
                             hovertext=hover, hoverinfo="text"))
    fig.add_trace(go.Scatter(x=[0, 100], y=[0, 100], mode="lines", name="chance",
                             line={"color": NOT_CONVERTED, "dash": "dash"}, hoverinfo="skip"))
    if backtest.leads and backtest.conversions:
        best = 100 * backtest.conversions / backtest.leads
        fig.add_trace(go.Scatter(x=[0, best, 100], y=[0, 100, 100], mode="lines", name="perfect ranking",
                                 line={"color": "#c9ccd1", "dash": "dot"}, hoverinfo="skip"))
    for stage, symbol in zip(backtest.stages, cycle(STAGE_SYMBOLS)):
        if backtest.leads and stage.leads and stage.recall is not None:
            fig.add_trace(go.Scatter(
                x=[100 * stage.leads / backtest.leads], y=[100 * stage.recall], mode="markers",
                name=f"stage {stage.name}", marker={"size": 11, "symbol": symbol},
                hovertext=[f"{stage.name} ({html.escape(stage.condition)})<br>{stage.leads} leads, "
                           f"recall {100 * stage.recall:.1f}%, precision {100 * (stage.precision or 0):.1f}%"],
                hoverinfo="text"))
    auc = "undefined" if backtest.auc is None else f"{backtest.auc:.3f}"
    fig.update_layout(title=f"Gains curve (ROC AUC {auc})", xaxis_title="leads worked, best score first (%)",
                      yaxis_title="conversions caught (%)", xaxis_range=[0, 100], yaxis_range=[0, 101],
                      template="plotly_white", legend={"x": 0.62, "y": 0.08}, height=460)
    return fig


def score_bins(scores_a: list, scores_b: list, target: int = 50) -> tuple:
    """Shared bins for two score lists: (edges, counts_a, counts_b). Widths are 1, 2 or 5
    times a power of ten, so whole-number scores fall evenly into the bins."""
    both = scores_a + scores_b
    if not both:
        return [0.0, 1.0], [0], [0]
    low, high = min(both), max(both)
    width = _nice((high - low) / target) if high > low else 1.0
    start = math.floor(low / width) * width
    count = max(1, int(math.floor((high - start) / width)) + 1)
    edges = [start + i * width for i in range(count + 1)]

    def histogram(scores):
        counts = [0] * count
        for s in scores:
            counts[min(count - 1, int((s - start) // width))] += 1
        return counts
    return edges, histogram(scores_a), histogram(scores_b)


def _nice(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def distribution_figure(backtest):
    import plotly.graph_objects as go
    yes, no = backtest.scores(True), backtest.scores(False)
    edges, counts_yes, counts_no = score_bins(yes, no)
    centers = [(a + b) / 2 for a, b in zip(edges, edges[1:])]
    width = edges[1] - edges[0]
    fig = go.Figure()
    for label, counts, total, color in (("converted", counts_yes, len(yes), CONVERTED),
                                        ("not converted", counts_no, len(no), NOT_CONVERTED)):
        share = [100 * c / total if total else 0 for c in counts]
        hover = [f"{label}: score {_score(a)} to under {_score(b)}<br>{c} leads ({s:.1f}% of {label})"
                 for a, b, c, s in zip(edges, edges[1:], counts, share)]
        fig.add_trace(go.Bar(x=centers, y=share, width=width, name=f"{label} ({total})", marker_color=color,
                             opacity=0.6, hovertext=hover, hoverinfo="text"))
    fig.update_layout(title="Score distribution by outcome (each as a share of its own leads)",
                      barmode="overlay", bargap=0, xaxis_title="score", yaxis_title="share of the group's leads (%)",
                      template="plotly_white", height=420)
    return fig


def lift_figure(backtest):
    import plotly.graph_objects as go
    deciles = [d for d in backtest.deciles if d.leads]
    fig = go.Figure(go.Bar(
        x=[str(d.decile) for d in deciles], y=[d.lift or 0 for d in deciles], marker_color=CONVERTED,
        hovertext=[f"decile {d.decile}: {d.leads} leads, scores {_score(d.min_score)} to {_score(d.max_score)}"
                   f"<br>{d.conversions} converted ({_pct(d.rate)}), lift {_num(d.lift)}" for d in deciles],
        hoverinfo="text", name="lift"))
    fig.add_hline(y=1, line_dash="dash", line_color=NOT_CONVERTED, annotation_text="overall rate")
    fig.update_layout(title="Lift per score decile (1 = highest scores)", xaxis_title="decile",
                      yaxis_title="conversion rate / overall rate", template="plotly_white", height=380)
    return fig


# ---- the page ----------------------------------------------------------------------

def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _num(value, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _score(value) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _table(header: list, rows: list, left: int = 1) -> str:
    """An HTML table; the first `left` columns are text (left-aligned), the rest numbers."""
    def cell(tag, i, value):
        kind = ' class="text"' if i < left else ""
        return f"<{tag}{kind}>{html.escape(str(value))}</{tag}>"
    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.meta { color: #59636e; margin-top: 0; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { border: 1px solid #d1d9e0; border-radius: 8px; padding: 0.8rem 1.2rem; min-width: 10rem; }
.card .value { font-size: 1.6rem; font-weight: 600; } .card .label { color: #59636e; font-size: 0.85rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 0.3rem 0.8rem; text-align: right; }
td { white-space: nowrap; }
th.text, td.text { text-align: left; }
th { background: #f6f8fa; }
.chart { border: 1px solid #d1d9e0; border-radius: 8px; margin: 1rem 0; padding: 0.3rem; }
.notes li { color: #59636e; }
"""


# The toolbar (zoom, pan, download) hidden: a report is read, not edited
CHART_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}


def page(backtest) -> str:
    """The whole HTML page, plotly.js included."""
    import plotly.io as pio
    import plotly.offline

    b, m = backtest, backtest.meta
    title = f"Backtest: {m.get('model', 'model')}" + (f" v{m['version']}" if m.get("version") is not None else "")
    facts = [f"leads: {m['leads_file']}" if m.get("leads_file") else "",
             f"outcome column: {m['outcome']}" if m.get("outcome") else "",
             f"scored at {m['now']}" if m.get("now") else ""]
    cards = [("leads with a known outcome", str(b.leads)), ("converted", f"{b.conversions} ({_pct(b.rate)})"),
             ("ROC AUC", "undefined" if b.auc is None else f"{b.auc:.4f}")]
    if b.excluded.leads:
        cards.append(("left out (no readable outcome)", str(b.excluded.leads)))

    charts = []
    for div_id, figure in (("gains", gains_figure(b)), ("distribution", distribution_figure(b)),
                           ("lift", lift_figure(b))):
        charts.append('<div class="chart">'
                      + pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=div_id,
                                    config=CHART_CONFIG)
                      + "</div>")

    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="meta">{html.escape(" · ".join(f for f in facts if f))}</p>',
             '<div class="cards">' + "".join(
                 f'<div class="card"><div class="value">{html.escape(v)}</div>'
                 f'<div class="label">{html.escape(k)}</div></div>' for k, v in cards) + "</div>",
             "<h2>Gains</h2>", charts[0], "<h2>Scores of converted and other leads</h2>", charts[1]]
    if b.tiers:
        parts += ["<h2>By tier</h2>", _table(
            ["tier", "leads", "share of leads", "converted", "rate", "share of conversions", "lift"],
            [[t.name, t.leads, _pct(t.share_of_leads), t.conversions, _pct(t.rate), _pct(t.share_of_conversions),
              _num(t.lift)] for t in b.tiers])]
    if b.stages:
        parts += ["<h2>By stage</h2>", _table(
            ["stage", "condition", "leads", "converted", "precision", "recall", "lift"],
            [[s.name, s.condition, s.leads, s.conversions, _pct(s.precision), _pct(s.recall), _num(s.lift)]
             for s in b.stages], left=2),
            "<p>The same volume on the score alone: the cut-off at the score of the k-th best lead, "
            "where k is the stage's volume (leads tied at the cut-off are all in).</p>",
            _table(["stage", "cut-off", "leads", "converted", "precision", "recall", "precision vs the stage"],
                   [[s.name, cutoff(s.same_volume.score), s.same_volume.leads,
                     s.same_volume.conversions, _pct(s.same_volume.precision), _pct(s.same_volume.recall),
                     "–" if s.same_volume.precision is None or s.precision is None
                     else f"{(s.same_volume.precision - s.precision) * 100:+.1f} points"]
                    if s.same_volume else [s.name, "–", 0, 0, "–", "–", "no lead reaches the stage"]
                    for s in b.stages], left=2)]
    parts += ["<h2>By score decile</h2>", charts[2], _table(
        ["decile", "leads", "scores", "converted", "rate", "lift", "cumulative converted", "gain"],
        [[d.decile, d.leads, "–" if not d.leads else f"{_score(d.min_score)} to {_score(d.max_score)}",
          d.conversions, _pct(d.rate), _num(d.lift), d.cumulative_conversions, _pct(d.gain)] for d in b.deciles])]
    if b.notes:
        parts += ["<h2>Notes</h2>", '<ul class="notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in b.notes)
                  + "</ul>"]
    data = json.dumps(b.to_dict(), default=str).replace("</", "<\\/")   # stays JSON, cannot end the tag
    parts.append(f'<script type="application/json" id="backtest-data">{data}</script>')

    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<style>{STYLE}</style>\n"
            f"<script type=\"text/javascript\">{plotly.offline.get_plotlyjs()}</script>\n"
            "</head>\n<body>\n" + "\n".join(parts) + "\n<p class=\"meta\">made by leadscore backtest</p>\n"
            "</body>\n</html>\n")


def write(backtest, path: str) -> None:
    """Write the page to `path` (UTF-8), whole or not at all."""
    text = page(backtest)
    with atomic_output(path, "w", encoding="utf-8") as handle:
        handle.write(text)
