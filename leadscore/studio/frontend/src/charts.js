// The page's charts, drawn by Chart.js: the score histogram by tier (thresholds as
// vertical lines), the backtest's gains curve and its lift by decile.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController,
         LineElement, PointElement, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement,
               PointElement, Tooltip);

export const TIER_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"];

// A threshold at score `at` sits between categories: bin i covers [edges[i], edges[i+1]).
const thresholdLines = {
  id: "thresholdLines",
  afterDatasetsDraw(chart, _args, options) {
    const { edges, thresholds } = options;
    if (!edges || edges.length < 2) return;
    const x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
    const width = edges[1] - edges[0], step = x.getPixelForValue(1) - x.getPixelForValue(0);
    ctx.save();
    ctx.strokeStyle = "#333";
    ctx.setLineDash([4, 3]);
    ctx.fillStyle = "#333";
    ctx.font = "11px sans-serif";
    for (const t of thresholds) {
      const px = x.getPixelForValue(0) + ((t.at - edges[0]) / width - 0.5) * step;
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.fillText(`${t.tier} ≥ ${t.at}`, px + 3, area.top + 10);
    }
    ctx.restore();
  },
};

function redraw(canvas, config) {
  const old = Chart.getChart(canvas);
  if (old) old.destroy();
  return new Chart(canvas, { ...config, options: { animation: false, responsive: true,
                                                   maintainAspectRatio: false, ...config.options } });
}

export function histogram(canvas, view) {
  const { edges, counts } = view.histogram;
  const labels = edges.slice(0, -1).map((edge) => `${edge}`);
  const datasets = Object.entries(counts).map(([tier, data], i) => (
    { label: tier || "leads", data, backgroundColor: TIER_COLOURS[i % TIER_COLOURS.length], stack: "s" }));
  return redraw(canvas, {
    type: "bar", data: { labels, datasets }, plugins: [thresholdLines],
    options: {
      scales: { x: { stacked: true, title: { display: true, text: "score (bin start)" } },
                y: { stacked: true, beginAtZero: true, title: { display: true, text: "leads" } } },
      plugins: { thresholdLines: { edges, thresholds: view.thresholds } },
    },
  });
}

export function gains(canvas, points) {
  return redraw(canvas, {
    type: "line",
    data: { datasets: [
      { label: "model", data: points.map(([x, y]) => ({ x, y })), borderColor: TIER_COLOURS[0], pointRadius: 0 },
      { label: "random", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: "#999", borderDash: [4, 3],
        pointRadius: 0 },
    ] },
    options: { scales: { x: { type: "linear", min: 0, max: 1, title: { display: true, text: "share of leads" } },
                         y: { min: 0, max: 1, title: { display: true, text: "share of conversions" } } } },
  });
}

export function lift(canvas, deciles) {
  return redraw(canvas, {
    type: "bar",
    data: { labels: deciles.map((d) => `${d.decile}`),
            datasets: [{ label: "lift", data: deciles.map((d) => d.lift), backgroundColor: TIER_COLOURS[1] }] },
    options: { scales: { x: { title: { display: true, text: "decile (1 = highest scores)" } },
                         y: { beginAtZero: true } } },
  });
}
