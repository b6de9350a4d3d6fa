// The studio page's glue: the editor sends its text to the server as it changes, and
// each answer is drawn. Widgets come from CodeMirror and Chart.js; this file only wires
// them to the JSON routes of leadscore/studio/app.py.
import { basicSetup, EditorView } from "codemirror";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { scoreLanguage } from "./score-language.js";
import * as charts from "./charts.js";

const DEBOUNCE_MS = 150;
const $ = (selector) => document.querySelector(selector);
const state = { sent: 0, busy: false, again: false, timer: null, view: null, leads: [],
                sort: { key: "score", desc: true }, selected: null };

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: body }) });
  const answer = await response.json();
  if (!response.ok) throw Object.assign(new Error(answer.error || response.statusText), { answer });
  return answer;
}

const fixed = (x) => (x === null || x === undefined ? "" : Number(x).toFixed(2));
const percent = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`);
function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
function row(cells, attrs = {}) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  Object.assign(tr.dataset, attrs);
  return tr;
}
function status(text, kind) {
  $("#status").textContent = text;
  $("#status").className = `status ${kind}`;
}

// ---- analysis: one request per pause in typing, and one at a time — an edit made while a
// request is out is sent when it returns, so a fast typist never queues stale work

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(analyze, DEBOUNCE_MS);
}

async function analyze() {
  state.timer = null;
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  const seq = ++state.sent;
  status("checking…", "busy");
  let report;
  try {
    report = await api("/api/analyze", state.view.state.doc.toString());
  } catch (error) {
    report = { failed: error.message };
  }
  if (report.failed) status(report.failed, "error");
  else draw(report);
  document.body.dataset.analyzed = String(seq);
  state.busy = false;
  if (state.again) {
    state.again = false;
    analyze();
  }
}

function draw(report) {
  drawDiagnostics(report.diagnostics);
  const errors = report.diagnostics.filter((d) => d.severity === "error").length;
  $("#results").classList.toggle("stale", !report.valid);
  $("#stale-banner").hidden = report.valid;
  if (!report.valid) return status(`${errors} error(s): results are stale`, "error");
  status(report.diagnostics.length ? `valid (${report.diagnostics.length} warning(s))` : "valid", "ok");
  drawDistribution(report);
  state.leads = report.leads;
  fillFilters(report);
  drawLeads();
  drawTests(report.tests);
  drawBacktest(report.backtest);
  if (state.selected) explain(state.selected);
}

function drawDiagnostics(diagnostics) {
  const doc = state.view.state.doc;
  const offset = (line, column) => {
    const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
    return Math.min(at.from + column - 1, at.to);
  };
  state.view.dispatch(setDiagnostics(state.view.state, diagnostics.map((d) => {
    const from = offset(d.line, d.column);
    return { from, to: Math.max(from, offset(d.end_line, d.end_column)), severity: d.severity,
             message: `${d.code}: ${d.message}${d.suggestion ? ` (${d.suggestion})` : ""}` };
  })));
  const list = $("#diagnostics");
  list.replaceChildren(...diagnostics.map((d) => {
    const li = document.createElement("li");
    li.className = d.severity;
    li.dataset.line = d.line;
    li.dataset.code = d.code;
    li.textContent = `${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}` +
                     (d.suggestion ? ` — ${d.suggestion}` : "");
    li.onclick = () => {
      state.view.dispatch({ selection: { anchor: offset(d.line, d.column) }, scrollIntoView: true });
      state.view.focus();
    };
    return li;
  }));
}

// ---- distribution and counts

function drawDistribution(report) {
  charts.histogram($("#histogram"), report);
  $("#histogram").dataset.counts = JSON.stringify(report.histogram.counts);
  $("#tier-counts").replaceChildren(row([cell("tier"), cell("leads", "num")]),
    ...Object.entries(report.tier_counts).map(([tier, n]) => row([cell(tier), cell(n, "num")], { tier })));
  const stages = [...Object.entries(report.stage_counts.qualify),
                  ...Object.entries(report.stage_counts.disqualify).map(([s, n]) => [`${s} (disqualify)`, n])];
  $("#stage-counts").replaceChildren(row([cell("stage"), cell("leads", "num")]),
    ...stages.map(([stage, n]) => row([cell(stage), cell(n, "num")], { stage })));
  const s = report.summary;
  $("#summary").textContent = `${s.leads_scored} of ${s.leads_read} leads scored (${s.leads_rejected} rejected), ` +
    `${s.events_used} of ${s.events_read} events used; now = ${s.now}`;
}

// ---- the table of leads: sort, filter, search; a click explains the lead

function fillFilters(report) {
  const stages = [...Object.keys(report.stage_counts.qualify), ...Object.keys(report.stage_counts.disqualify)];
  const tags = [...new Set(report.leads.flatMap((l) => l.tags))].sort();
  for (const [id, values] of [["#filter-tier", report.tiers], ["#filter-stage", stages], ["#filter-tag", tags]]) {
    const select = $(id);
    const keep = select.value;
    select.replaceChildren(select.options[0], ...values.map((v) => new Option(v, v)));
    select.value = values.includes(keep) ? keep : "";
  }
}

function drawLeads() {
  const search = $("#search").value.trim().toLowerCase();
  const tier = $("#filter-tier").value, stage = $("#filter-stage").value, tag = $("#filter-tag").value;
  const { key, desc } = state.sort;
  const value = (lead) => (Array.isArray(lead[key]) ? lead[key].join(" ") : lead[key] ?? "");
  const shown = state.leads
    .filter((l) => (!search || String(l.id).toLowerCase().includes(search)) && (!tier || l.tier === tier)
      && (!stage || l.stages.includes(stage) || l.disqualified.includes(stage)) && (!tag || l.tags.includes(tag)))
    .sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0) * (desc ? -1 : 1));
  $("#leads tbody").replaceChildren(...shown.map((l) => {
    const tr = row([cell(l.id), cell(fixed(l.score), "num"), cell(l.tier ?? ""),
                    cell([...l.stages, ...l.disqualified.map((d) => `✗${d}`)].join(" ")), cell(l.tags.join(" "))],
                   { id: l.id, score: l.score });
    tr.classList.toggle("selected", l.id === state.selected);
    tr.onclick = () => explain(l.id);
    return tr;
  }));
  $("#shown").textContent = `${shown.length} of ${state.leads.length}`;
  for (const th of document.querySelectorAll("#leads th")) {
    th.classList.toggle("sorted", th.dataset.key === key);
    th.classList.toggle("asc", th.dataset.key === key && !desc);
  }
}

async function explain(id) {
  state.selected = id;
  for (const tr of document.querySelectorAll("#leads tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  let e;
  try {
    e = await api(`/api/leads/${encodeURIComponent(id)}`);
  } catch (error) {
    $("#explanation").textContent = error.message;
    return;
  }
  const body = e.lines.map((l) => row([cell(l.rule), cell(l.scope), cell(fixed(l.points), "num"),
    cell(l.reason), cell(l.inputs.map((i) => `${i.label} = ${i.value}`).join("; "), "inputs")],
    { points: l.points, kind: l.kind }));
  body.forEach((tr) => tr.classList.add(tr.dataset.kind));
  const table = document.createElement("table");
  table.className = "lines";
  const foot = document.createElement("tfoot");
  foot.append(row([cell("score"), cell(""), cell(fixed(e.score), "num score"), cell(e.tier ? `tier ${e.tier}` : ""),
                   cell("")], { score: e.score }));
  const head = document.createElement("thead");
  head.append(row(["rule", "scope", "points", "reason", "values read"].map((t) => cell(t))));
  const tbody = document.createElement("tbody");
  tbody.append(...body);
  table.append(head, tbody, foot);
  const title = document.createElement("h3");
  title.textContent = `lead ${e.id}: ${fixed(e.score)}${e.tier ? `, ${e.tier}` : ""}`;
  const extra = document.createElement("p");
  extra.className = "hint";
  extra.textContent = [
    e.campaigns.length ? `campaign rules: ${e.campaigns.map((c) => `${c.rule} ${fixed(c.points)}`).join(", ")}` : "",
    e.tags.length ? `tags: ${e.tags.join(", ")}` : "", e.warnings.length ? `warnings: ${e.warnings.join("; ")}` : "",
  ].filter(Boolean).join(" · ");
  $("#explanation").replaceChildren(title, table, extra);
  $("#explanation").dataset.lead = e.id;
}

// ---- tests and backtest

function drawTests(tests) {
  const box = $("#tests");
  if (!tests.file) return box.replaceChildren(Object.assign(document.createElement("p"),
    { className: "hint", textContent: "No .tests file beside the model." }));
  if (tests.errors.length) return box.replaceChildren(...tests.errors.map((d) => Object.assign(
    document.createElement("p"), { className: "error", textContent: `${tests.file}:${d.line}: ${d.message}` })));
  const table = document.createElement("table");
  table.append(...tests.cases.map((c) => row([cell(c.status, c.status), cell(c.name),
    cell(c.error || c.failures.map((f) => `${f.expect} (got ${JSON.stringify(f.actual)})`).join("; "))],
    { status: c.status })));
  const head = Object.assign(document.createElement("p"),
    { textContent: `${tests.passed} passed, ${tests.failed} failed (${tests.file})` });
  box.replaceChildren(head, table);
}

function drawBacktest(backtest) {
  $("#backtest").hidden = !backtest;
  if (!backtest) return;
  $("#backtest-summary").textContent = `AUC ${backtest.auc === null ? "–" : backtest.auc.toFixed(3)} · ` +
    `${backtest.conversions} of ${backtest.leads} leads converted (${percent(backtest.rate)})`;
  $("#backtest").dataset.auc = backtest.auc;
  charts.gains($("#gains"), backtest.gains);
  charts.lift($("#lift"), backtest.deciles);
  $("#backtest-tiers").replaceChildren(row(["tier", "leads", "converted", "rate"].map((t) => cell(t))),
    ...backtest.tiers.map((t) => row([cell(t.name), cell(t.leads, "num"), cell(t.conversions, "num"),
                                      cell(percent(t.rate), "num")])));
}

// ---- compare with saved, save

async function compare() {
  const box = $("#impact-body");
  $("#impact").hidden = false;
  try {
    const impact = await api("/api/compare", state.view.state.doc.toString());
    const m = impact.tiers;
    const label = (t) => t ?? "(none)";
    const table = document.createElement("table");
    table.id = "transitions";
    table.append(row([cell("old \\ new"), ...m.new.map((t) => cell(label(t), "num"))]),
      ...m.old.map((t, i) => row([cell(label(t)), ...m.counts[i].map((n) => cell(n, "num"))])));
    const s = impact.score;
    const text = Object.assign(document.createElement("p"), { textContent:
      `${impact.changed_leads} of ${impact.leads} leads change score, tier or stage; ${s.up} up, ${s.down} down; ` +
      `${m.changed} change tier.` });
    const top = document.createElement("table");
    top.id = "top-changes";
    top.append(row(["lead", "saved", "edited", "change", "tier", "rules that moved most"].map((t) => cell(t))),
      ...impact.top.map((t) => row([cell(t.id), cell(fixed(t.old_score), "num"), cell(fixed(t.new_score), "num"),
        cell(fixed(t.change), "num"), cell(t.old_tier === t.new_tier ? label(t.new_tier) : `${label(t.old_tier)} → ${label(t.new_tier)}`),
        cell(t.rules.slice(0, 3).map((r) => `${r.rule} ${fixed(r.change)}`).join(", "))], { id: t.id })));
    const heading = Object.assign(document.createElement("h3"), { textContent: "Largest score changes" });
    box.replaceChildren(text, table, ...(impact.top.length ? [heading, top] : []));
  } catch (error) {
    box.textContent = error.message;
  }
}

async function save() {
  try {
    const saved = await api("/api/save", state.view.state.doc.toString());
    const doc = state.view.state.doc.toString();
    if (saved.text !== doc) state.view.dispatch({ changes: { from: 0, to: doc.length, insert: saved.text } });
    status(`saved ${saved.saved}`, "ok");
  } catch (error) {
    status(error.message, "error");
  }
}

// ---- start

async function start() {
  const workspace = await api("/api/workspace");
  $("#model-path").textContent = workspace.model;
  state.view = new EditorView({
    doc: workspace.text,
    parent: $("#editor"),
    extensions: [basicSetup, scoreLanguage, lintGutter(),
                 EditorView.updateListener.of((update) => { if (update.docChanged) schedule(); })],
  });
  for (const id of ["#search", "#filter-tier", "#filter-stage", "#filter-tag"]) $(id).oninput = drawLeads;
  for (const th of document.querySelectorAll("#leads th")) {
    th.onclick = () => {
      const key = th.dataset.key;
      state.sort = { key, desc: state.sort.key === key ? !state.sort.desc : key === "score" };
      drawLeads();
    };
  }
  $("#save").onclick = save;
  $("#compare").onclick = compare;
  // for the browser test (and the curious): the editor, and whether every edit has been answered
  window.studio = { view: state.view, idle: () => state.timer === null && !state.busy && !state.again };
  analyze();
}

start();
