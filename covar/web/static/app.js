// covar serve: the calculator page. Sends the form to the server, shows what comes back.
// Nothing is derived or evaluated here: the server sends MathML and images.
"use strict";

const FIELDS = ["density", "support", "map", "assume", "values", "vars", "marginal", "layers"];
// the fields each kind of problem sends (the others stay as typed but are not part of the problem)
const MODE_FIELDS = {
  univariate: ["density", "support", "map", "assume", "values"],
  vector: ["density", "map", "assume", "vars", "marginal"],
  flow: ["density", "layers"],
};
const PLACEHOLDERS = {
  univariate: {density: "Gamma(alpha, beta), or a pdf in x such as exp(-x)", map: "log(x)"},
  vector: {density: "Normal(0, 1) * Normal(0, 1)", map: "sqrt(x1**2 + x2**2), atan2(x2, x1)"},
  flow: {density: "Normal(0, 1) * Normal(0, 1)", map: ""},
};
const $ = (id) => document.getElementById(id);
let frames = [], timer = null, generation = 0, mode = "univariate", current = null;

function setMode(m) {
  mode = MODE_FIELDS[m] ? m : "univariate";
  $("problem").dataset.mode = mode;
  for (const b of document.querySelectorAll("button.mode")) {
    b.setAttribute("aria-selected", String(b.dataset.mode === mode));
  }
  for (const f of document.querySelectorAll("[data-modes]")) f.hidden = !f.dataset.modes.split(" ").includes(mode);
  for (const el of document.querySelectorAll(".for-univariate, .for-vector, .for-flow")) {
    el.hidden = !el.classList.contains("for-" + mode);
  }
  for (const [f, text] of Object.entries(PLACEHOLDERS[mode])) $(f).placeholder = text;
}

// the kind of a problem given by its fields (a permalink names it; older links do not)
function modeOf(fields) {
  if (fields.layers) return "flow";
  if (fields.vars || fields.marginal || / \* |\*\s*[A-Z]/.test(fields.density || "")) return "vector";
  return "univariate";
}

function readForm() {
  const out = {};
  for (const f of MODE_FIELDS[mode]) out[f] = $(f).value.trim();
  return out;
}

function query(fields) {
  const q = new URLSearchParams();
  if (mode !== "univariate") q.set("mode", mode);
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
  const field = MODE_FIELDS[mode].includes(error.field) ? error.field : "general";
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

function renderSteps(view) {
  const box = $("steps");
  box.innerHTML = "";
  for (const record of view.steps) {
    if (record.heading) box.appendChild(html("p", "record-heading", record.heading));
    const list = html("ol", "steps");
    list.start = record.steps.length ? record.steps[0].n : 1;
    for (const step of record.steps) {
      const item = html("li", "step");
      if (step.piece !== null) {  // the plots draw piece k in colour k: the step wears its tint
        const colour = view.piece_colours[step.piece % view.piece_colours.length];
        item.classList.add("piece");
        item.dataset.piece = step.piece;
        item.style.borderLeftColor = colour;
        item.style.backgroundColor = colour + "1a";
      }
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
}

function renderLayers(view) {
  const body = $("layers-out");
  body.innerHTML = "";
  view.layers.forEach((layer, k) => {
    const row = document.createElement("tr");
    row.appendChild(html("td", "n", String(k + 1)));
    const name = html("td", "");
    name.textContent = layer.name;
    row.appendChild(name);
    row.appendChild(html("td", "", layer.log_det));
    body.appendChild(row);
  });
  $("layers-panel").hidden = !view.layers.length;
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
  renderLayers(view);
  renderSteps(view);
  $("tab-moments").disabled = view.kind !== "univariate";
  $("tab-moments").title = view.kind === "univariate" ? "" : "for the law of one variable: name a marginal";
  $("steps-panel").hidden = false;
}

function showTab(which) {
  $("tab-steps").setAttribute("aria-selected", String(which === "steps"));
  $("tab-moments").setAttribute("aria-selected", String(which === "moments"));
  $("steps").hidden = which !== "steps";
  $("moments").hidden = which !== "moments";
  if (which === "moments" && current && !current.moments) loadMoments(current);
}

async function loadMoments(state) {
  state.moments = true;
  $("moments-out").hidden = true;
  $("moments-status").className = "pending";
  $("moments-status").textContent = "deriving the CDF, the mean and the variance…";
  const answer = await post("moments", state.fields);
  if (state !== current) return;
  if (answer.ok) {
    $("cdf-out").innerHTML = answer.cdf;
    $("mean-out").innerHTML = answer.mean;
    $("variance-out").innerHTML = answer.variance;
    $("moments-out").hidden = false;
    $("moments-status").textContent = "";
  } else {
    $("moments-status").className = "pending bad";
    $("moments-status").textContent = "no CDF or moments: " + answer.error.message;
  }
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

function figureTitle(view) {
  if (view.grid) {
    return view.kind === "flow" ? "The flow carries a grid: density before, after, and log|det J| of the flow"
                                : "The map carries a grid: density before, after, and log|det J| of the map";
  }
  return "The map, f<sub>X</sub> and f<sub>Y</sub> over a histogram of samples of g(X)";
}

async function pictures(view, fields, mine) {
  const animated = view.kind === "univariate" && !view.grid;
  $("figure-title").innerHTML = figureTitle(view);
  $("figure-panel").hidden = false;
  $("animation-panel").hidden = !animated;
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
  if (!animated) return figure;
  const animation = post("animation", fields).then((answer) => {
    if (mine !== generation) return;
    if (answer.ok) {
      frames = answer.frames.map((src, k) => ({src: src, t: answer.t[k]}));
      $("slider").max = frames.length - 1;
      $("player").hidden = false;
      const skipped = answer.failed.filter((e) => e).length;
      $("animation-status").textContent = skipped
        ? skipped + " of " + frames.length + " frames could not be derived within their "
          + answer.frame_seconds.toFixed(1) + " s each and are drawn without a density (each says why)"
        : "";
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
  current = null;
  clearErrors();
  if (mode === "flow" && !fields.layers) {  // without layers the server would ask for a map
    return showError({field: "layers", message: "give at least one layer, e.g. coupling 10 | s: tanh(z1) | t: z1**2"});
  }
  $("status").textContent = "deriving…";
  history.replaceState(null, "", "/?" + query(fields));
  const answer = await post("derive", fields);
  if (mine !== generation) return;
  $("status").textContent = "";
  if (!answer.ok) {
    showError(answer.error);
    for (const p of ["result-panel", "layers-panel", "steps-panel", "figure-panel", "animation-panel"]) $(p).hidden = true;
    return;
  }
  current = {fields: fields, moments: false};
  renderResult(answer.view, fields);
  const onMoments = $("tab-moments").getAttribute("aria-selected") === "true";
  showTab(onMoments && answer.view.kind === "univariate" ? "moments" : "steps");
  await pictures(answer.view, fields, mine);
}

function fromQuery() {
  const q = new URLSearchParams(window.location.search);
  const given = {};
  for (const f of FIELDS) if (q.has(f)) given[f] = $(f).value = q.get(f);
  setMode(q.get("mode") || modeOf(given));
  if (mode === "flow" ? q.get("layers") : q.get("density") && q.get("map")) derive();
}

$("problem").addEventListener("submit", derive);
$("slider").addEventListener("input", () => { stop(); showFrame(Number($("slider").value)); });
$("play").addEventListener("click", play);
$("tab-steps").addEventListener("click", () => showTab("steps"));
$("tab-moments").addEventListener("click", () => showTab("moments"));
for (const b of document.querySelectorAll("button.mode")) b.addEventListener("click", () => setMode(b.dataset.mode));
for (const b of document.querySelectorAll("button.example")) {
  b.addEventListener("click", () => {
    setMode(b.dataset.mode || "univariate");
    for (const f of FIELDS) $(f).value = b.dataset[f] || "";
    derive();
  });
}
fromQuery();
