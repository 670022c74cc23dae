// Session player: draws stored landmarks on a canvas, shows the protocol timeline,
// and lets an annotator create, edit, delete and undo time-segment labels.
// Frames arrive as binary float32 (landmarks.bin, see docs/labeling.md) in chunks: the first
// chunk starts playback, the rest load in the background.
const root = document.getElementById("player");
const FEATURES = 1536;
const FACE_POINTS = 468;
const CHUNK = 600;
const HEADER_BYTES = 16;
// MediaPipe pose topology (33 landmarks): arms, torso, legs, face outline.
const POSE_EDGES = [
  [11, 12], [11, 13], [13, 15], [15, 17], [15, 19], [15, 21], [17, 19], [12, 14], [14, 16],
  [16, 18], [16, 20], [16, 22], [18, 20], [11, 23], [12, 24], [23, 24], [23, 25], [24, 26],
  [25, 27], [26, 28], [27, 29], [28, 30], [29, 31], [30, 32], [27, 31], [28, 32],
  [0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10],
];
// Face oval of the 468-point mesh, drawn as a closed contour.
const FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379,
  378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103,
  67, 109, 10];

const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
const $ = (id) => document.getElementById(id);
const state = {
  meta: null, t: null, presence: null, X: null, loaded: 0, index: 0, playing: false,
  speed: 1, lastTick: 0, markIn: null, selected: null, undo: [], prelabels: null,
};

function setStatus(text) { $("status").textContent = text; }

async function api(url, method, body) {
  const response = await fetch(url, {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const errors = data.errors ? Object.entries(data.errors).map(([k, v]) => `${k}: ${v}`).join("; ") : response.statusText;
    throw new Error(errors);
  }
  return data;
}

async function loadFrames() {
  const n = state.meta.frames;
  state.t = new Float64Array(n);
  state.presence = new Uint8Array(n * 2);
  state.X = new Float32Array(n * FEATURES);
  for (let from = 0; from < n; from += CHUNK) {
    const response = await fetch(`${root.dataset.framesUrl}?from_seq=${from}&count=${CHUNK}`, { credentials: "same-origin" });
    if (!response.ok) { setStatus(`Loading frames failed (${response.status}).`); return; }
    const buffer = await response.arrayBuffer();
    const view = new DataView(buffer);
    const first = view.getUint32(4, true);
    const count = view.getUint32(8, true);
    if (count === 0) break;
    let offset = HEADER_BYTES;
    state.t.set(new Float64Array(buffer, offset, count), first);
    offset += count * 8;
    state.presence.set(new Uint8Array(buffer, offset, count * 2), first * 2);
    offset += count * 2 + ((8 - ((count * 2) % 8)) % 8);
    state.X.set(new Float32Array(buffer, offset, count * FEATURES), first * FEATURES);
    state.loaded = first + count;
    $("loaded").dataset.loaded = String(state.loaded);
    $("loaded").textContent = `${state.loaded} / ${n} frames loaded`;
    $("seek").max = String(Math.max(0, state.loaded - 1));
    if (first === 0) draw();
  }
}

function draw() {
  const canvas = $("stage");
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#10151c";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!state.loaded) return;
  const i = Math.min(state.index, state.loaded - 1);
  const base = i * FEATURES;
  const W = canvas.width;
  const H = canvas.height;
  const at = (k) => [state.X[base + k] * W, state.X[base + k + 1] * H];
  if (state.presence[i * 2]) {
    ctx.fillStyle = "#5ad1ff";
    for (let p = 0; p < FACE_POINTS; p++) {
      const [x, y] = at(p * 3);
      ctx.fillRect(x - 1, y - 1, 2, 2);
    }
    ctx.strokeStyle = "#9be7ff";
    ctx.beginPath();
    FACE_OVAL.forEach((p, j) => { const [x, y] = at(p * 3); if (j) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
  }
  if (state.presence[i * 2 + 1]) {
    const poseBase = FACE_POINTS * 3;
    const pose = (p) => at(poseBase + p * 4);
    const visible = (p) => state.X[base + poseBase + p * 4 + 3] > 0.3;
    ctx.strokeStyle = "#ffb347";
    ctx.lineWidth = 3;
    ctx.beginPath();
    for (const [a, b] of POSE_EDGES) {
      if (!visible(a) || !visible(b)) continue;
      const [x1, y1] = pose(a);
      const [x2, y2] = pose(b);
      ctx.moveTo(x1, y1); ctx.lineTo(x2, y2);
    }
    ctx.stroke();
    ctx.lineWidth = 1;
  }
  const t = state.t[i];
  $("clock").textContent = `${((t - state.meta.t_start_ms) / 1000).toFixed(2)} s · frame ${i}`;
  $("seek").value = String(i);
  const span = Math.max(1, state.meta.t_end_ms - state.meta.t_start_ms);
  $("playhead").style.left = `${((t - state.meta.t_start_ms) / span) * 100}%`;
}

function tick(now) {
  if (!state.playing) return;
  const elapsed = (now - state.lastTick) * state.speed;
  state.lastTick = now;
  const target = state.t[state.index] + elapsed;
  let i = state.index;
  while (i + 1 < state.loaded && state.t[i + 1] <= target) i++;
  if (i + 1 >= state.meta.frames && i === state.index) { pause(); return; }
  if (i === state.index && i + 1 < state.loaded) {
    // Keep sub-frame time so slow speeds still advance.
    state.carry = (state.carry || 0) + elapsed;
    if (state.carry >= state.t[i + 1] - state.t[i]) { i++; state.carry = 0; }
  } else state.carry = 0;
  state.index = i;
  draw();
  requestAnimationFrame(tick);
}

function play() { if (!state.loaded) return; state.playing = true; state.lastTick = performance.now(); $("play").textContent = "Pause"; requestAnimationFrame(tick); }
function pause() { state.playing = false; $("play").textContent = "Play"; }
function seekTo(i) { state.index = Math.max(0, Math.min(state.loaded - 1, i)); draw(); }
function currentTime() { return state.loaded ? state.t[Math.min(state.index, state.loaded - 1)] : 0; }

// ---- timeline ----
function pct(t) {
  const span = Math.max(1, state.meta.t_end_ms - state.meta.t_start_ms);
  return ((t - state.meta.t_start_ms) / span) * 100;
}
function timeAtX(clientX) {
  const rect = $("track").getBoundingClientRect();
  const share = Math.max(0, Math.min(1, (clientX - rect.left) / rect.width));
  return state.meta.t_start_ms + share * (state.meta.t_end_ms - state.meta.t_start_ms);
}
function block(row, start, end, text, extra = {}) {
  const el = document.createElement("div");
  el.className = "block";
  el.style.left = `${pct(start)}%`;
  el.style.width = `${Math.max(0.3, pct(end) - pct(start))}%`;
  el.textContent = text;
  el.title = `${text} ${Math.round(start)}–${Math.round(end)} ms`;
  Object.assign(el.dataset, extra);
  row.appendChild(el);
  return el;
}

function renderTimeline() {
  const meta = state.meta;
  const rows = document.querySelectorAll("#timeline .row");
  rows.forEach((r) => r.replaceChildren());
  const phases = document.querySelector('[data-row="phases"]');
  phases.dataset.title = "phases";
  meta.phases.forEach((p) => block(phases, p.start_ms, p.end_ms, p.name));
  const ratings = document.querySelector('[data-row="ratings"]');
  ratings.dataset.title = "ratings";
  meta.ratings.forEach((r) => {
    const tick = document.createElement("div");
    tick.className = "tick"; tick.style.left = `${pct(r.t_ms)}%`; tick.title = JSON.stringify(r.data);
    ratings.appendChild(tick);
  });
  const gold = document.querySelector('[data-row="gold"]');
  gold.dataset.title = "gold";
  meta.gold.forEach((g) => block(gold, g.start_ms, g.end_ms, `${g.label}`));
  const pre = document.querySelector('[data-row="prelabels"]');
  pre.dataset.title = "model";
  if (state.prelabels) {
    for (const kind of ["emotion", "stress"]) {
      (state.prelabels[kind] || []).forEach((p) => {
        const el = block(pre, p.start_ms, p.end_ms, `${p.label} ${Math.round(p.confidence * 100)}%`, { kind, label: p.label, start: p.start_ms, end: p.end_ms, prelabel: "1" });
        el.onclick = () => selectPrelabel(el);
      });
    }
  }
  const container = $("segment-rows");
  container.replaceChildren();
  const byAnnotator = new Map();
  meta.segments.forEach((s) => {
    if (!byAnnotator.has(s.annotator)) byAnnotator.set(s.annotator, []);
    byAnnotator.get(s.annotator).push(s);
  });
  if (!byAnnotator.has(meta.me)) byAnnotator.set(meta.me, []);
  for (const [who, segs] of byAnnotator) {
    const row = document.createElement("div");
    row.className = `row seg${who === meta.me ? " mine" : ""}`;
    row.dataset.title = who === meta.me ? `${who} (you)` : who;
    row.dataset.annotator = who;
    segs.forEach((s) => {
      const el = block(row, s.start_ms, s.end_ms, `${s.kind === "stress" ? "stress " : ""}${s.label}`, { uid: s.uid });
      if (state.selected && state.selected.uid === s.uid) el.classList.add("selected");
      el.onclick = (event) => { event.stopPropagation(); selectSegment(s); };
    });
    container.appendChild(row);
  }
}

// ---- labels ----
function fillLabels(select, kind, value) {
  select.replaceChildren(...state.meta.schema[kind].map((l) => new Option(l, l, false, l === value)));
}
function currentLabel() { return { kind: $("kind").value, label: $("label").value }; }

async function createSegment(start, end, { kind, label } = currentLabel(), record = true) {
  if (end - start < 1) return null;
  const seg = await api(root.dataset.segmentsUrl, "POST", { kind, label, start_ms: start, end_ms: end });
  state.meta.segments.push(seg);
  if (record) state.undo.push({ type: "create", uid: seg.uid });
  setStatus(`Saved ${seg.label} ${Math.round(seg.start_ms)}–${Math.round(seg.end_ms)} ms.`);
  renderTimeline();
  return seg;
}

function segmentUrl(uid) { return state.meta.segment_url_template.replace("00000000-0000-0000-0000-000000000000", uid); }

async function updateSegment(seg, changes, record = true) {
  const before = Object.fromEntries(Object.keys(changes).map((k) => [k, seg[k]]));
  const saved = await api(segmentUrl(seg.uid), "PATCH", changes);
  Object.assign(seg, saved);
  if (record) state.undo.push({ type: "update", uid: seg.uid, before });
  setStatus("Saved.");
  renderTimeline();
}

async function deleteSegment(seg, record = true) {
  await api(segmentUrl(seg.uid), "DELETE");
  state.meta.segments = state.meta.segments.filter((s) => s.uid !== seg.uid);
  if (record) state.undo.push({ type: "delete", segment: { ...seg } });
  if (state.selected && state.selected.uid === seg.uid) selectSegment(null);
  setStatus("Deleted.");
  renderTimeline();
}

async function undo() {
  const action = state.undo.pop();
  if (!action) { setStatus("Nothing to undo."); return; }
  const find = (uid) => state.meta.segments.find((s) => s.uid === uid);
  try {
    if (action.type === "create" && find(action.uid)) await deleteSegment(find(action.uid), false);
    else if (action.type === "update" && find(action.uid)) await updateSegment(find(action.uid), action.before, false);
    else if (action.type === "delete") {
      const s = action.segment;
      const again = await createSegment(s.start_ms, s.end_ms, { kind: s.kind, label: s.label }, false);
      if (again && (s.note || s.confidence !== null)) await updateSegment(again, { note: s.note, confidence: s.confidence }, false);
      // Later undo entries that name the old uid now mean the re-created segment.
      state.undo.forEach((a) => { if (a.uid === s.uid) a.uid = again.uid; });
    }
    setStatus("Undone.");
  } catch (error) { setStatus(`Undo failed: ${error.message}`); }
}

function selectSegment(seg) {
  state.selected = seg;
  $("editor").hidden = !seg;
  $("accept-prelabel").hidden = true;
  if (seg) {
    const mine = seg.annotator_id === state.meta.user_id;
    fillLabels($("edit-label"), seg.kind, seg.label);
    $("edit-start").value = Math.round(seg.start_ms);
    $("edit-end").value = Math.round(seg.end_ms);
    $("edit-confidence").value = seg.confidence ?? "";
    $("edit-note").value = seg.note || "";
    for (const id of ["edit-label", "edit-start", "edit-end", "edit-confidence", "edit-note", "edit-delete"]) $(id).disabled = !mine;
  }
  renderTimeline();
}

function selectPrelabel(el) {
  selectSegment(null);
  $("editor").hidden = false;
  $("accept-prelabel").hidden = false;
  for (const id of ["edit-label", "edit-start", "edit-end", "edit-confidence", "edit-note", "edit-delete"]) $(id).disabled = true;
  $("accept-prelabel").onclick = async () => {
    try {
      await createSegment(Number(el.dataset.start), Number(el.dataset.end), { kind: el.dataset.kind, label: el.dataset.label });
    } catch (error) { setStatus(`Not saved: ${error.message}`); }
    $("accept-prelabel").hidden = true;
  };
}

function bindEditor() {
  const save = (changes) => updateSegment(state.selected, changes).catch((e) => setStatus(`Not saved: ${e.message}`));
  $("edit-label").onchange = () => save({ label: $("edit-label").value });
  $("edit-start").onchange = () => save({ start_ms: Number($("edit-start").value) });
  $("edit-end").onchange = () => save({ end_ms: Number($("edit-end").value) });
  $("edit-confidence").onchange = () => save({ confidence: $("edit-confidence").value === "" ? null : Number($("edit-confidence").value) });
  $("edit-note").onchange = () => save({ note: $("edit-note").value });
  $("edit-delete").onclick = () => deleteSegment(state.selected).catch((e) => setStatus(`Not deleted: ${e.message}`));
}

function bindTimeline() {
  const track = $("track");
  const drag = $("drag");
  let start = null;
  track.addEventListener("mousedown", (event) => {
    start = timeAtX(event.clientX);
    drag.hidden = false;
    drag.style.left = `${pct(start)}%`;
    drag.style.width = "0";
  });
  window.addEventListener("mousemove", (event) => {
    if (start === null) return;
    const t = timeAtX(event.clientX);
    drag.style.left = `${pct(Math.min(start, t))}%`;
    drag.style.width = `${Math.abs(pct(t) - pct(start))}%`;
  });
  window.addEventListener("mouseup", (event) => {
    if (start === null) return;
    const end = timeAtX(event.clientX);
    const [a, b] = [Math.min(start, end), Math.max(start, end)];
    start = null;
    drag.hidden = true;
    if (b - a < 20) { seekToTime(a); return; }  // a click seeks
    createSegment(a, b).catch((e) => setStatus(`Not saved: ${e.message}`));
  });
}

function seekToTime(t) {
  let i = 0;
  while (i + 1 < state.loaded && state.t[i + 1] <= t) i++;
  seekTo(i);
}

function bindKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    const digit = /^Digit([1-9])$/.exec(event.code);
    if (event.code === "Space") { event.preventDefault(); state.playing ? pause() : play(); }
    else if (event.key === "ArrowRight") { pause(); seekTo(state.index + 1); }
    else if (event.key === "ArrowLeft") { pause(); seekTo(state.index - 1); }
    else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") { event.preventDefault(); undo(); }
    else if (event.key.toLowerCase() === "i") { state.markIn = currentTime(); $("mark-in").textContent = `${Math.round(state.markIn)} ms`; }
    else if (event.key.toLowerCase() === "o") {
      if (state.markIn === null) { setStatus("Press I to mark the start first."); return; }
      const out = currentTime();
      $("mark-out").textContent = `${Math.round(out)} ms`;
      const [a, b] = [Math.min(state.markIn, out), Math.max(state.markIn, out)];
      state.markIn = null;
      createSegment(a, b).catch((e) => setStatus(`Not saved: ${e.message}`));
    } else if (event.key === "Delete" && state.selected) deleteSegment(state.selected).catch((e) => setStatus(e.message));
    else if (digit) {
      const kind = event.shiftKey ? "stress" : "emotion";
      const labels = state.meta.schema[kind];
      const label = labels[Number(digit[1]) - 1];
      if (!label) return;
      $("kind").value = kind;
      fillLabels($("label"), kind, label);
      setStatus(`Current label: ${kind} ${label}`);
    }
  });
}

async function main() {
  state.meta = await api(root.dataset.metaUrl, "GET");
  state.meta.me = state.meta.username;
  fillLabels($("label"), "emotion");
  $("kind").onchange = () => fillLabels($("label"), $("kind").value);
  $("play").onclick = () => (state.playing ? pause() : play());
  $("step-forward").onclick = () => { pause(); seekTo(state.index + 1); };
  $("step-back").onclick = () => { pause(); seekTo(state.index - 1); };
  $("speed").onchange = () => { state.speed = Number($("speed").value); };
  $("seek").oninput = () => { pause(); seekTo(Number($("seek").value)); };
  bindEditor();
  bindTimeline();
  bindKeys();
  renderTimeline();
  fetch(root.dataset.prelabelsUrl, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((data) => { if (data && data.prelabels) { state.prelabels = data.prelabels; renderTimeline(); } })
    .catch(() => {});
  await loadFrames();
  root.dataset.ready = "1";
}

main().catch((error) => setStatus(`The player could not start: ${error.message}`));
