// covar serve: the calculator page. Sends the form to the server, shows what comes back.
// Nothing is derived or evaluated here: the server sends MathML and images.
"use strict";

const FIELDS = ["density", "support", "map", "assume", "values"];
const $ = (id) => document.getElementById(id);
let frames = [], timer = null, generation = 0;

function readForm() {
  const out = {};
  for (const f of FIELDS) out[f] = $(f).value.trim();
  return out;
}

function query(fields) {
  const q = new URLSearchParams();
  for (const f of FIELDS) if (fields[f]) q.set(f, fields[f]);
  return q.toString();
}

function clearErrors() {
  for (const f of FIELDS.concat(["general"])) {
    $("error-" + f).textContent = "";
    if (f !== "general") $(f).classList.remove("invalid");
  }
}

function showError(error) {
  const field = FIELDS.includes(error.field) ? error.field : "general";
  $("error-" + field).textContent = error.message;
  if (field !== "general") $(field).classList.add("invalid");
}

async function post(job, fields) {
  const response = await fetch("/api/" + job, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(fields)});
  try {
    return await response.json();
  } catch (e) {
    return {ok: false, error: {field: null, message: "the server answered " + response.status, kind: "http"}};
  }
}

function html(tag, cls, inner) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (inner !== undefined) el.innerHTML = inner;  // server-made MathML/HTML, text already escaped
  return el;
}

function renderResult(view, fields) {
  const r = view.result;
  $("headline").innerHTML = view.headline;
  $("formula").innerHTML = r.formula || (r.label + " has no closed form: it is evaluated numerically ("
                                         + r.numeric_method + ")");
  $("support-out").innerHTML = r.support;
  $("atoms-out").innerHTML = r.atoms.length ? r.atoms.join(", ") : "none";
  $("family-out").textContent = r.family || "not recognised";
  const q = query(fields);
  $("permalink").href = "/?" + q;
  $("download-latex").href = "/download/latex?" + q;
  $("download-json").href = "/download/json?" + q;
  $("result-panel").hidden = false;

  const box = $("steps");
  box.innerHTML = "";
  for (const record of view.steps) {
    if (record.heading) box.appendChild(html("p", "record-heading", record.heading));
    const list = html("ol", "steps");
    list.start = record.steps.length ? record.steps[0].n : 1;
    for (const step of record.steps) {
      const item = html("li", "step");
      item.appendChild(html("div", "step-title", step.title));
      for (const f of step.formulas) {
        const div = html("div", "formula");
        if (f.where) div.appendChild(html("div", "where", f.where + ":"));
        div.appendChild(html("div", "", f.math));
        item.appendChild(div);
      }
      if (step.bulleted) {
        const notes = html("ul", "notes");
        for (const r of step.remarks) notes.appendChild(html("li", "remark", r));
        item.appendChild(notes);
      } else {
        for (const r of step.remarks) item.appendChild(html("div", "remark", r));
      }
      list.appendChild(item);
    }
    box.appendChild(list);
  }
  $("steps-panel").hidden = false;
}

function showFrame(k) {
  if (!frames.length) return;
  k = Math.max(0, Math.min(frames.length - 1, k));
  $("slider").value = k;
  $("frame").src = frames[k].src;
  $("frame-label").textContent = "t = " + frames[k].t.toFixed(2) + "  (frame " + (k + 1) + " of " + frames.length + ")";
}

function stop() {
  if (timer) clearInterval(timer);
  timer = null;
  $("play").textContent = "play";
}

function play() {
  if (timer) return stop();
  $("play").textContent = "pause";
  timer = setInterval(() => showFrame((Number($("slider").value) + 1) % frames.length), 450);
}

async function pictures(fields, mine) {
  $("figure-panel").hidden = false;
  $("animation-panel").hidden = false;
  $("figure").hidden = true;
  $("player").hidden = true;
  $("figure-status").className = "pending";
  $("animation-status").className = "pending";
  $("figure-status").textContent = "drawing the figure…";
  $("animation-status").textContent = "deriving every frame of the animation…";
  const figure = post("figure", fields).then((answer) => {
    if (mine !== generation) return;
    if (answer.ok) {
      $("figure").src = answer.png;
      $("figure").hidden = false;
      $("figure-status").textContent = "";
    } else {
      $("figure-status").className = "pending bad";
      $("figure-status").textContent = "no figure: " + answer.error.message;
      if (answer.error.field === "values") showError(answer.error);
    }
  });
  const animation = post("animation", fields).then((answer) => {
    if (mine !== generation) return;
    if (answer.ok) {
      frames = answer.frames.map((src, k) => ({src: src, t: answer.t[k]}));
      $("slider").max = frames.length - 1;
      $("player").hidden = false;
      $("animation-status").textContent = "";
      showFrame(0);
    } else {
      $("animation-status").className = "pending bad";
      $("animation-status").textContent = "no animation: " + answer.error.message;
    }
  });
  await Promise.all([figure, animation]);
}

async function derive(event) {
  if (event) event.preventDefault();
  const fields = readForm();
  const mine = ++generation;
  stop();
  frames = [];
  clearErrors();
  $("status").textContent = "deriving…";
  history.replaceState(null, "", "/?" + query(fields));
  const answer = await post("derive", fields);
  if (mine !== generation) return;
  $("status").textContent = "";
  if (!answer.ok) {
    showError(answer.error);
    for (const p of ["result-panel", "steps-panel", "figure-panel", "animation-panel"]) $(p).hidden = true;
    return;
  }
  renderResult(answer.view, fields);
  await pictures(fields, mine);
}

function fromQuery() {
  const q = new URLSearchParams(window.location.search);
  for (const f of FIELDS) if (q.has(f)) $(f).value = q.get(f);
  if (q.get("density") && q.get("map")) derive();
}

$("problem").addEventListener("submit", derive);
$("slider").addEventListener("input", () => { stop(); showFrame(Number($("slider").value)); });
$("play").addEventListener("click", play);
for (const b of document.querySelectorAll("button.example")) {
  b.addEventListener("click", () => {
    for (const f of FIELDS) $(f).value = b.dataset[f] || "";
    derive();
  });
}
fromQuery();
