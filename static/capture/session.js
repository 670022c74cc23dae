// Participant session page: camera + Holistic preview, landmark stream, protocol runner,
// and the finish button (enabled once the protocol is done and every batch is acked).
import { CameraDenied, FpsMeter, cameraStart, drawResults, holisticCreate, holisticLoop } from "./camera.js";
import { Outbox } from "./outbox.js";
import { ProtocolRunner } from "./protocol.js";
import { CaptureStream } from "./stream.js";
import { frameFromResults } from "./wire.js";

const NO_FACE_AFTER_MS = 1500;
const FATAL_MESSAGES = {
  bad_token: "This recording link has expired. Reload the page to continue.",
  no_consent: "Recording stopped: there is no current consent for this session.",
  session_ended: "This session has already ended.",
};

const root = document.getElementById("capture");
const statusEl = document.getElementById("capture-status");
const faceEl = document.getElementById("capture-face");
const fpsEl = document.getElementById("capture-fps");
const syncEl = document.getElementById("capture-sync");
const finishButton = document.getElementById("finish-session");
const finishForm = document.getElementById("finish-form");
const protocol = JSON.parse(document.getElementById("capture-protocol").textContent);
const phases = protocol.phases || [];
const progressKey = `stresslab-protocol-${root.dataset.session}`;

function say(el, text, kind = "info") {
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = !text;
}

function finishEnable() {
  if (!finishButton) return;
  finishButton.disabled = false;
  finishButton.dataset.ready = "true";
}

async function main() {
  if (finishButton) finishButton.disabled = true;
  if (!phases.length) {
    // Nothing to record: the session step is complete at once.
    finishEnable();
    return;
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}${root.dataset.streamPath}?token=${encodeURIComponent(root.dataset.token)}`;
  const outbox = await Outbox.open(root.dataset.session);
  const stream = new CaptureStream({
    url,
    outbox,
    onStatus: (s) => {
      root.dataset.connected = s.connected ? "true" : "false";
      root.dataset.unacked = String(s.unacked);
      root.dataset.acked = String(s.acked);
      say(syncEl, s.fatal ? "" : s.connected ? `Saved ${s.acked} frames` : "Reconnecting…");
      if (s.fatal) say(statusEl, FATAL_MESSAGES[s.fatal] || `Recording stopped: ${s.detail || s.fatal}`, "error");
    },
  });
  await stream.start();
  window.stresslabCapture = stream;

  const video = document.getElementById("capture-video");
  const canvas = document.getElementById("capture-preview");
  try {
    await cameraStart(video);
  } catch (err) {
    if (err instanceof CameraDenied) {
      say(statusEl, err.message, "error");
      root.dataset.camera = "denied";
      return;
    }
    throw err;
  }
  root.dataset.camera = "on";
  say(statusEl, "Loading the face tracker…");
  const meter = new FpsMeter();
  let lastFaceAt = performance.now();
  let running = true;
  const holistic = await holisticCreate(root.dataset.holisticBase, (results) => {
    const now = performance.now();
    meter.tick(now);
    stream.addFrame(frameFromResults(results, stream.now()));
    drawResults(canvas, results);
    const fps = meter.fps();
    fpsEl.textContent = `${fps.toFixed(1)} fps`;
    root.dataset.fps = fps.toFixed(2);
    if (results.faceLandmarks) lastFaceAt = now;
    const faceMissing = now - lastFaceAt > NO_FACE_AFTER_MS;
    say(faceEl, faceMissing ? "We cannot see your face. Face the camera in good light." : "", "warning");
  });
  say(statusEl, "");
  root.dataset.tracking = "on";
  holisticLoop(video, holistic, () => running);

  const startIndex = Number(localStorage.getItem(progressKey) || 0);
  const runner = new ProtocolRunner({
    stage: document.getElementById("protocol-stage"),
    protocol,
    startIndex,
    emit: (name, data) => stream.event(name, data),
    onPhaseDone: (index) => localStorage.setItem(progressKey, String(index + 1)),
  });
  await runner.run();
  running = false;
  await stream.end();
  if (stream.fatal) return;
  root.dataset.done = "true";
  finishEnable();
  localStorage.removeItem(progressKey);
  if (finishForm) finishForm.requestSubmit ? finishForm.requestSubmit(finishButton || undefined) : finishForm.submit();
}

main().catch((err) => {
  console.error(err);
  say(statusEl, `Something went wrong: ${err.message}. Reload the page; nothing recorded so far is lost.`, "error");
});
