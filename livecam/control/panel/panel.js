// livecam control panel: talks to the local control API only (nothing leaves the machine).
"use strict";

const params = new URLSearchParams(location.search);
if (params.get("token")) {
  sessionStorage.setItem("livecam-token", params.get("token"));
  history.replaceState(null, "", location.pathname);   // keep the token out of the address bar
}
const token = sessionStorage.getItem("livecam-token") || "";
const $ = (id) => document.getElementById(id);
const history60 = [];   // [{t, fps, latency}]
let state = null;

async function api(route, body, method = "GET") {
  const response = await fetch("/api/" + route, {
    method,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function say(text, isError) {
  const el = $("message");
  el.textContent = text;
  el.className = "message" + (isError ? " error" : "");
}

async function act(route, body) {
  try {
    const result = await api(route, body, "POST");   // no body: a toggle
    say(result.message, false);
    render(result.state);
  } catch (err) {
    say(err.message, true);
  }
}

async function loadPresets() {
  const presets = await api("presets");
  const grid = $("presets");
  grid.replaceChildren();
  presets.forEach((p, i) => {
    const card = document.createElement("button");
    card.className = "preset";
    card.dataset.preset = p.name;
    card.title = p.description;
    if (p.thumbnail) {
      const img = document.createElement("img");
      img.src = p.thumbnail;
      img.alt = p.name;
      card.append(img);
    }
    const label = document.createElement("span");
    label.textContent = p.name;
    if (i < 9) {
      const key = document.createElement("small");
      key.className = "key";
      key.textContent = String(i + 1);
      label.append(key);
    }
    card.append(label);
    card.addEventListener("click", () => act("preset", { name: p.name }));
    grid.append(card);
  });
  if (state) render(state);
}

function render(s) {
  state = s;
  $("fps").textContent = s.fps.toFixed(1);
  $("latency").textContent = s.latency_ms.toFixed(0);
  $("mic-delay-stat").hidden = s.mic_delay_ms === null || s.mic_delay_ms === undefined;
  if (!$("mic-delay-stat").hidden) $("mic-delay").textContent = s.mic_delay_ms.toFixed(0);
  $("faces").textContent = s.faces;
  $("resolution").textContent = s.resolution || "–";
  $("effect").classList.toggle("active", s.effect_on);
  $("effect").textContent = s.effect_on ? "Effect on" : "Effect off";
  $("privacy").classList.toggle("active", s.privacy);
  $("privacy").textContent = s.privacy ? "Privacy on" : "Privacy";
  $("record").classList.toggle("active", !!s.recording);
  $("record").textContent = s.recording ? "● Recording" : "Record";
  $("switching").textContent = s.switching_to ? "switching to " + s.switching_to + "…" : "";
  document.querySelectorAll(".preset").forEach((card) => {
    card.classList.toggle("current", card.dataset.preset === s.preset);
    card.classList.toggle("loading", card.dataset.preset === s.switching_to);
  });
  if (s.last_error) say(s.last_error, true);
}

function drawChart() {
  const canvas = $("chart");
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, now = Date.now() / 1000;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#3a3150";
  g.fillStyle = "#a79cc0";
  g.font = "11px system-ui";
  [0.25, 0.5, 0.75].forEach((f) => { g.beginPath(); g.moveTo(0, h * f); g.lineTo(w, h * f); g.stroke(); });
  const series = [["fps", 60, "#3ddc97"], ["latency", 100, "#ff4f9a"]];
  series.forEach(([key, top, colour], i) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    history60.forEach((p, j) => {
      const x = w - (now - p.t) / 60 * w, y = h - Math.min(p[key], top) / top * h;
      if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
    g.fillStyle = colour;
    g.fillText(key === "fps" ? "fps (0–60)" : "latency ms (0–100)", 8 + i * 120, 14);
  });
}

function connect() {
  const ws = new WebSocket(`ws://${location.host}/api/live`);   // the panel's cookie
  ws.onopen = () => { $("connection").textContent = "live"; $("connection").className = "pill on"; };
  ws.onmessage = (event) => {
    const s = JSON.parse(event.data);
    history60.push({ t: Date.now() / 1000, fps: s.fps, latency: s.latency_ms });
    while (history60.length && history60[0].t < Date.now() / 1000 - 60) history60.shift();
    render(s);
    drawChart();
  };
  ws.onclose = () => {
    $("connection").textContent = "disconnected";
    $("connection").className = "pill off";
    setTimeout(connect, 2000);
  };
}

function refreshPreview() {
  const img = $("preview");
  img.src = "/api/preview.jpg?t=" + Date.now();
}

document.querySelectorAll(".toggle").forEach((button) =>
  button.addEventListener("click", () => act(button.dataset.route)));
document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT") return;
  if (event.key >= "1" && event.key <= "9") act("preset", { number: Number(event.key) });
  if (event.key === "e") act("effect");
  if (event.key === "h") act("privacy");
});

if (!token) $("token-missing").hidden = false;
api("state").then(render).catch((err) => say(err.message, true));
loadPresets().catch((err) => say(err.message, true));
connect();
refreshPreview();
setInterval(refreshPreview, 1000);
