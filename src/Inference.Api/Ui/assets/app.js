// The demo page: picks a model from /v1/models, posts the chosen image to /v1/models/{id}/detect and draws the
// answer over the image. Everything it loads and calls is on this origin (the page's CSP forbids anything else).

// The same colours, in the same order, as the service's annotated images (Inference.Core.Rendering.ClassPalette).
const PALETTE = [
  "#ff3838", "#009dff", "#2cc84b", "#ffb21d", "#cf3ce8", "#00c2b8", "#ff701f", "#6b4dff",
  "#92cc17", "#ff37c7", "#1a9334", "#3445c9", "#ff9d97", "#00d4ff", "#a65d1e", "#7ede9a",
  "#8438ff", "#c82a5e", "#52738a", "#e7d61b",
];

const colourFor = (classId) => PALETTE[((classId % PALETTE.length) + PALETTE.length) % PALETTE.length];

const $ = (id) => document.getElementById(id);
const ui = {
  drop: $("drop"), file: $("file"), keyRow: $("key-row"), key: $("api-key"), modelRow: $("model-row"), model: $("model"),
  confidence: $("confidence"), confidenceValue: $("confidence-value"), iou: $("iou"), iouValue: $("iou-value"),
  classList: $("class-list"), all: $("classes-all"), none: $("classes-none"),
  status: $("status"), error: $("error"), figure: $("figure"), preview: $("preview"), overlay: $("overlay"),
  caption: $("caption"), download: $("download"), table: $("detections"), rows: document.querySelector("#detections tbody"),
  timings: $("timings"), pin: $("pin"),
};

// The service decides by the bytes; a browser's guess from the file name (text/plain, or nothing) must not refuse it.
const bodyType = (file) => (file.type.startsWith("image/") ? file.type : "application/octet-stream");

const state = { models: [], model: null, image: null, imageName: "", request: 0, last: null };

// With Auth:ApiKeys on, every call needs a key: the page asks for it after a 401 and keeps it in this tab's
// sessionStorage only (never a cookie, never the URL), sending it as X-Api-Key.
const KEY_STORE = "inference-api-key";
const withKey = (headers) => {
  const key = sessionStorage.getItem(KEY_STORE);
  return key ? { ...headers, "X-Api-Key": key } : headers;
};

function askForKey(response) {
  if (response.status !== 401) return false;
  ui.keyRow.hidden = false;
  ui.status.textContent = sessionStorage.getItem(KEY_STORE) ? "The service refused that API key." : "The service asks for an API key.";
  ui.key.focus();
  return true;
}

function textOn(hex) {
  const channel = (i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance > 0.179 ? "#000000" : "#ffffff";
}

function fill(list, entries) {
  list.replaceChildren(...entries.flatMap(([term, value, className]) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (className) dd.className = className;
    return [dt, dd];
  }));
}

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

async function loadModels() {
  const response = await fetch("/v1/models", { headers: withKey({ Accept: "application/json" }) });
  if (askForKey(response)) return;
  if (!response.ok) throw new Error(`GET /v1/models answered ${response.status}.`);
  ui.keyRow.hidden = true;
  state.models = (await response.json()).models;
  ui.model.replaceChildren(...state.models.map((m) => {
    const option = document.createElement("option");
    option.value = m.id;
    option.textContent = m.name ? `${m.id} – ${m.name} ${m.version} (${m.state})` : `${m.id} (${m.state})`;
    option.selected = m.default;
    return option;
  }));
  // A picker only where there is a choice.
  ui.modelRow.hidden = state.models.length < 2;
  selectModel(ui.model.value);
}

function selectModel(id) {
  const model = state.models.find((m) => m.id === id);
  state.model = model;
  const defaults = model?.defaults ?? {};
  ui.confidence.value = defaults.confidence ?? 0.25;
  ui.iou.value = defaults.iou ?? 0.45;
  showSliderValues();
  ui.classList.replaceChildren(...(model?.classes ?? []).map((name, classId) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = String(classId);
    box.dataset.name = name;
    box.addEventListener("change", detectSoon);
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = colourFor(classId);
    label.append(box, swatch, document.createTextNode(name));
    return label;
  }));
  fill(ui.pin, model?.name
    ? [["Id", model.id], ["Name", model.name], ["Version", model.version], ["SHA-256", model.sha256, "sha"], ["Provider", model.provider], ["Format", model.format]]
    : [["Id", model?.id ?? "–"], ["State", model ? `${model.state}: ${model.reason}` : "no model"]]);
  if (state.image) detect();
}

function showSliderValues() {
  ui.confidenceValue.textContent = Number(ui.confidence.value).toFixed(2);
  ui.iouValue.textContent = Number(ui.iou.value).toFixed(2);
}

function chosenClasses() {
  const boxes = [...ui.classList.querySelectorAll("input[type=checkbox]")];
  const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
  return { all: chosen.length === boxes.length, ids: chosen };
}

function detectUrl(extra = {}) {
  const query = new URLSearchParams({ confidence: ui.confidence.value, iou: ui.iou.value, ...extra });
  const classes = chosenClasses();
  if (!classes.all) query.set("classes", classes.ids.join(","));
  return `/v1/models/${encodeURIComponent(state.model.id)}/detect?${query}`;
}

let timer = 0;
function detectSoon() {
  showSliderValues();
  clearTimeout(timer);
  timer = setTimeout(detect, 150);
}

async function detect() {
  if (!state.image || !state.model) return;
  if (chosenClasses().ids.length === 0) {
    render({ detections: [], timings: null, model: null, image: null });
    ui.status.textContent = "No class is selected.";
    return;
  }

  const request = ++state.request;
  ui.status.textContent = `Detecting with ${state.model.id}…`;
  showError("");
  try {
    const response = await fetch(detectUrl(), {
      method: "POST",
      headers: withKey({ "Content-Type": bodyType(state.image), Accept: "application/json" }),
      body: state.image,
    });
    if (request !== state.request) return; // a newer request was sent meanwhile
    if (askForKey(response)) return;
    const answer = await response.json();
    if (!response.ok) {
      showError(`${answer.title ?? response.status}: ${answer.detail ?? ""}${answer.code ? ` (${answer.code})` : ""}`);
      ui.status.textContent = "The service refused the image.";
      return;
    }
    render(answer);
  } catch (error) {
    showError(`The request failed: ${error.message}`);
  }
}

function render(answer) {
  state.last = answer;
  const detections = [...answer.detections].sort((a, b) => b.confidence - a.confidence);
  drawBoxes(detections);

  ui.rows.replaceChildren(...detections.map((d) => {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.display = "inline-block";
    swatch.style.background = colourFor(d.class_id);
    name.append(swatch, document.createTextNode(` ${d.class}`));
    const confidence = document.createElement("td");
    confidence.textContent = d.confidence.toFixed(3);
    const box = document.createElement("td");
    box.textContent = [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => Math.round(v)).join(", ");
    row.append(name, confidence, box);
    return row;
  }));
  ui.table.hidden = false;
  ui.download.hidden = false;

  const names = detections.map((d) => d.class);
  const summary = detections.length === 0 ? "no objects" : `${detections.length} object${detections.length === 1 ? "" : "s"}: ${names.join(", ")}`;
  ui.preview.alt = `${state.imageName}, with ${summary} marked`;
  ui.caption.textContent = answer.image ? `${state.imageName}, ${answer.image.width}×${answer.image.height} px: ${summary}.` : summary;
  ui.status.textContent = `Found ${summary}.`;

  const t = answer.timings;
  fill(ui.timings, t
    ? [["Decode", `${t.decode_ms.toFixed(1)} ms`], ["Preprocess", `${t.preprocess_ms.toFixed(1)} ms`], ["Queue", `${t.queue_ms.toFixed(1)} ms`],
       ["Inference", `${t.inference_ms.toFixed(1)} ms (batch of ${t.batch_size})`], ["Postprocess", `${t.postprocess_ms.toFixed(1)} ms`], ["Total", `${t.total_ms.toFixed(1)} ms`]]
    : [["–", "No request sent."]]);
  if (answer.model) {
    fill(ui.pin, [["Id", state.model.id], ["Name", answer.model.name], ["Version", answer.model.version], ["SHA-256", answer.model.sha256, "sha"], ["Provider", state.model.provider ?? "–"], ["Format", state.model.format ?? "–"]]);
  }
}

function drawBoxes(detections) {
  const canvas = ui.overlay;
  const width = ui.preview.naturalWidth;
  const height = ui.preview.naturalHeight;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  const side = Math.min(width, height);
  const stroke = Math.min(24, Math.max(2, Math.round(side / 320)));
  const fontSize = Math.min(120, Math.max(12, side * 0.022));
  context.font = `bold ${fontSize}px "DejaVu Sans", sans-serif`;
  context.textBaseline = "top";
  // Lowest confidence first, so the most confident label ends on top.
  for (const d of [...detections].reverse()) {
    const colour = colourFor(d.class_id);
    const x1 = Math.round(d.box.x1), y1 = Math.round(d.box.y1), x2 = Math.round(d.box.x2), y2 = Math.round(d.box.y2);
    context.strokeStyle = colour;
    context.lineWidth = stroke;
    context.strokeRect(x1 + stroke / 2, y1 + stroke / 2, x2 - x1 - stroke, y2 - y1 - stroke);
  }
  for (const d of [...detections].reverse()) {
    const colour = colourFor(d.class_id);
    const text = `${d.class} ${d.confidence.toFixed(2)}`;
    const padding = Math.max(2, Math.round(fontSize * 0.2));
    const labelWidth = Math.ceil(context.measureText(text).width + 2 * padding);
    const labelHeight = Math.ceil(fontSize * 1.2 + 2 * padding);
    const x = Math.min(Math.max(0, Math.round(d.box.x1)), Math.max(0, width - labelWidth));
    const y = d.box.y1 - labelHeight >= 0 ? Math.round(d.box.y1) - labelHeight : Math.round(d.box.y1);
    context.fillStyle = colour;
    context.fillRect(x, y, labelWidth, labelHeight);
    context.fillStyle = textOn(colour);
    context.fillText(text, x + padding, y + padding);
  }
}

function useFile(file) {
  if (!file) return;
  state.image = file;
  state.imageName = file.name || "image";
  if (ui.preview.src) URL.revokeObjectURL(ui.preview.src);
  ui.preview.onload = () => { ui.figure.hidden = false; detect(); };
  ui.preview.onerror = () => { ui.figure.hidden = true; detect(); };
  ui.preview.src = URL.createObjectURL(file);
}

async function downloadAnnotated() {
  const response = await fetch(detectUrl({ format: "image" }), {
    method: "POST",
    headers: withKey({ "Content-Type": bodyType(state.image) }),
    body: state.image,
  });
  if (askForKey(response)) return;
  if (!response.ok) {
    showError(`The annotated image could not be made (${response.status}).`);
    return;
  }
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${state.imageName.replace(/\.[^.]+$/, "")}-annotated.${blob.type === "image/png" ? "png" : "jpg"}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

ui.file.addEventListener("change", () => useFile(ui.file.files[0]));
ui.model.addEventListener("change", () => selectModel(ui.model.value));
ui.confidence.addEventListener("input", detectSoon);
ui.iou.addEventListener("input", detectSoon);
ui.all.addEventListener("click", () => { ui.classList.querySelectorAll("input").forEach((b) => { b.checked = true; }); detectSoon(); });
ui.none.addEventListener("click", () => { ui.classList.querySelectorAll("input").forEach((b) => { b.checked = false; }); detectSoon(); });
ui.download.addEventListener("click", downloadAnnotated);
ui.keyRow.addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY_STORE, ui.key.value);
  ui.key.value = "";
  loadModels().then(detect).catch((error) => showError(`The models could not be listed: ${error.message}`));
});
for (const name of ["dragenter", "dragover"]) {
  ui.drop.addEventListener(name, (e) => { e.preventDefault(); ui.drop.classList.add("over"); });
}
for (const name of ["dragleave", "drop"]) {
  ui.drop.addEventListener(name, (e) => { e.preventDefault(); ui.drop.classList.remove("over"); });
}
ui.drop.addEventListener("drop", (e) => useFile(e.dataTransfer.files[0]));

showSliderValues();
loadModels().catch((error) => {
  showError(`The models could not be listed: ${error.message}`);
  fill(ui.pin, [["–", "unavailable"]]);
});
