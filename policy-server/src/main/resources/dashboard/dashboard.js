// The quota dashboard: polls /api/quotas and /api/decisions every two seconds and draws what they
// say. Every value reaches the page through textContent, never as HTML: keys come from requests.
"use strict";

const POLL_MS = 2000;
const charts = new Map(); // limit id -> Chart
let updates = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function number(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
}

function windowText(l) {
  if (!l.requestsPerWindow) return "";
  const s = l.windowSeconds;
  const unit = s === 1 ? "second" : s === 60 ? "minute" : s === 3600 ? "hour" : s === 86400 ? "day" : s + " s";
  return number(l.requestsPerWindow) + " per " + unit;
}

function limitCard(l) {
  const id = l.domain + "/" + l.limit;
  const card = el("div", {class: "limit", "data-limit": id},
    el("h3", {}, el("span", {class: "name"}, id), " ", el("span", {class: "size"}, windowText(l))),
    el("div", {class: "figures"},
      el("span", {class: "admitted"}, "admitted ", el("b", {}, number(l.admitted))),
      el("span", {class: "rejected"}, "rejected ", el("b", {}, number(l.rejected))),
      el("span", {class: "shadow"}, "shadow-rejected ", el("b", {}, number(l.shadowRejected))),
      el("span", {class: "failed"}, "failed ", el("b", {}, number(l.failed)))),
    el("div", {class: "chart"}, el("canvas", {})));
  const rows = l.topKeys.map(k => el("tr", {},
    el("td", {class: "key top-key"}, k.key), el("td", {}, number(k.estimate)), el("td", {class: "remaining"}, number(k.remaining))));
  card.append(el("table", {class: "keys"},
    el("thead", {}, el("tr", {}, el("th", {}, "top keys"), el("th", {}, "hits"), el("th", {}, "remaining"))),
    el("tbody", {}, ...rows)));
  return card;
}

function drawChart(card, l) {
  const id = l.domain + "/" + l.limit;
  const labels = l.history.map(s => new Date(s.epochSecond * 1000).toLocaleTimeString("en-GB"));
  const admitted = l.history.map(s => s.admitted);
  const rejected = l.history.map(s => s.rejected);
  let chart = charts.get(id);
  const canvas = card.querySelector("canvas");
  if (chart && chart.canvas !== canvas) {
    chart.destroy();
    chart = undefined;
  }
  if (!chart) {
    chart = new Chart(canvas, {
      type: "line",
      data: {labels, datasets: [
        {label: "admitted/s", data: admitted, borderColor: "#1b7f3b", backgroundColor: "rgba(27,127,59,.15)", fill: true, pointRadius: 0},
        {label: "rejected/s", data: rejected, borderColor: "#b3261e", backgroundColor: "rgba(179,38,30,.15)", fill: true, pointRadius: 0}]},
      options: {animation: false, maintainAspectRatio: false, scales: {y: {beginAtZero: true}, x: {ticks: {maxTicksLimit: 6}}}}
    });
    charts.set(id, chart);
  } else {
    chart.data.labels = labels;
    chart.data.datasets[0].data = admitted;
    chart.data.datasets[1].data = rejected;
    chart.update();
  }
  card.setAttribute("data-chart-points", String(l.history.length));
}

function showQuotas(q) {
  document.getElementById("policy-version").textContent = q.policyVersion;
  const c = q.cluster;
  document.getElementById("cluster").textContent = !c.open ? "not started"
    : (c.reachable ? c.role + ", " + c.members + " member(s) " + c.memberAddresses.join(" ") : "unreachable (" + c.role + ")");
  const err = document.getElementById("reload-error");
  err.hidden = q.lastReloadErrors.length === 0;
  err.textContent = q.lastReloadErrors.length ? "The last reload failed; the version above still serves:\n" + q.lastReloadErrors.join("\n") : "";
  const box = document.getElementById("limits");
  if (q.limits.length === 0) return;
  box.replaceChildren(...q.limits.map(l => {
    const card = limitCard(l);
    return card;
  }));
  for (const l of q.limits) {
    const card = box.querySelector('[data-limit="' + CSS.escape(l.domain + "/" + l.limit) + '"]');
    if (typeof Chart !== "undefined") drawChart(card, l);
  }
}

function showDecisions(d) {
  const denials = document.querySelector("#denials tbody");
  denials.replaceChildren(...d.recentDenials.map(x => el("tr", {class: "denial"},
    el("td", {}, new Date(x.at).toLocaleTimeString("en-GB")),
    el("td", {class: "rule"}, x.rule),
    el("td", {}, x.status),
    el("td", {class: "key"}, x.method + " " + x.path),
    el("td", {class: "key"}, x.source))));
  const rules = document.querySelector("#rules tbody");
  rules.replaceChildren(...d.rules.map(r => el("tr", {}, el("td", {}, r.rule), el("td", {}, number(r.allowed)), el("td", {}, number(r.denied)))));
}

async function poll() {
  try {
    const [q, d] = await Promise.all([fetch("/api/quotas"), fetch("/api/decisions")]);
    if (!q.ok || !d.ok) throw new Error("HTTP " + q.status + "/" + d.status);
    showQuotas(await q.json());
    showDecisions(await d.json());
    updates++;
    document.body.setAttribute("data-updates", String(updates));
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString("en-GB");
  } catch (e) {
    document.getElementById("updated").textContent = "cannot reach the server: " + e.message;
  }
}

poll();
setInterval(poll, POLL_MS);
