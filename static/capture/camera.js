// Camera + MediaPipe Holistic (vendored under /static/vendor/holistic/, CPU inference).
// Only landmarks leave this module; pixels stay in the page.

export class CameraDenied extends Error {}

export async function cameraStart(video) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new CameraDenied("This browser cannot use a camera here (a secure https page is needed).");
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (err) {
    const denied = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
    throw new CameraDenied(denied
      ? "Camera access was denied. Allow the camera for this site in your browser settings, then reload the page."
      : `No camera could be opened (${err && err.name}). Connect a camera and reload the page.`);
  }
  video.srcObject = stream;
  await video.play();
  return stream;
}

export async function holisticCreate(baseUrl, onResults) {
  const holistic = new window.Holistic({ locateFile: (file) => `${baseUrl}${file}` });
  holistic.setOptions({
    modelComplexity: 1,
    smoothLandmarks: true,
    refineFaceLandmarks: false,
    enableSegmentation: false,
    minDetectionConfidence: 0.5,
    minTrackingConfidence: 0.5,
    useCpuInference: true,
  });
  holistic.onResults(onResults);
  await holistic.initialize();
  return holistic;
}

// Feeds each new video frame to Holistic, one at a time.
export function holisticLoop(video, holistic, isRunning) {
  let lastTime = -1;
  const step = async () => {
    if (!isRunning()) return;
    if (video.readyState >= 2 && video.currentTime !== lastTime) {
      lastTime = video.currentTime;
      try {
        await holistic.send({ image: video });
      } catch (err) {
        console.error("holistic", err);
      }
    }
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => step());
    else setTimeout(step, 10);
  };
  step();
}

export class FpsMeter {
  constructor() {
    this.times = [];
  }

  tick(now) {
    this.times.push(now);
    while (this.times.length && now - this.times[0] > 2000) this.times.shift();
  }

  fps() {
    if (this.times.length < 2) return 0;
    return ((this.times.length - 1) * 1000) / (this.times[this.times.length - 1] - this.times[0]);
  }
}

export function drawResults(canvas, results) {
  const ctx = canvas.getContext("2d");
  const image = results.image;
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
  }
  ctx.save();
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  if (results.faceLandmarks) {
    drawConnections(ctx, canvas, results.faceLandmarks, window.FACEMESH_TESSELATION, "rgba(224,224,224,0.5)", 0.5);
  }
  if (results.poseLandmarks) {
    drawConnections(ctx, canvas, results.poseLandmarks, window.POSE_CONNECTIONS, "rgba(0,200,120,0.9)", 2);
  }
  ctx.restore();
}

function drawConnections(ctx, canvas, points, connections, color, width) {
  if (!connections) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  for (const [a, b] of connections) {
    const p = points[a];
    const q = points[b];
    if (!p || !q) continue;
    ctx.moveTo(p.x * canvas.width, p.y * canvas.height);
    ctx.lineTo(q.x * canvas.width, q.y * canvas.height);
  }
  ctx.stroke();
}
