// Binary landmark batches (docs/protocol.md). Typed arrays use the platform byte order,
// which is little-endian on every browser platform we target; the header uses DataView.
export const FACE_VALUES = 468 * 3;
export const POSE_VALUES = 33 * 4;
export const HEADER_BYTES = 16;
export const FRAME_BYTES = 6160;
export const BATCH_FRAMES = 8;
const FACE_OFFSET = 16;
const POSE_OFFSET = FACE_OFFSET + FACE_VALUES * 4;

export function frameFromResults(results, tMs) {
  const face = new Float32Array(FACE_VALUES);
  const pose = new Float32Array(POSE_VALUES);
  const faceLandmarks = results.faceLandmarks || [];
  const poseLandmarks = results.poseLandmarks || [];
  const faceOk = faceLandmarks.length >= 468;
  const poseOk = poseLandmarks.length >= 33;
  if (faceOk) {
    for (let i = 0; i < 468; i++) {
      const p = faceLandmarks[i];
      face[i * 3] = finite(p.x); face[i * 3 + 1] = finite(p.y); face[i * 3 + 2] = finite(p.z);
    }
  }
  if (poseOk) {
    for (let i = 0; i < 33; i++) {
      const p = poseLandmarks[i];
      pose[i * 4] = finite(p.x); pose[i * 4 + 1] = finite(p.y);
      pose[i * 4 + 2] = finite(p.z); pose[i * 4 + 3] = finite(p.visibility);
    }
  }
  return { tMs, faceOk, poseOk, face, pose };
}

function finite(value) {
  return Number.isFinite(value) ? value : 0;
}

export function encodeBatch(firstSeq, frames) {
  const buffer = new ArrayBuffer(HEADER_BYTES + frames.length * FRAME_BYTES);
  const view = new DataView(buffer);
  [0x53, 0x4c, 0x42, 0x31].forEach((byte, i) => view.setUint8(i, byte)); // "SLB1"
  view.setUint32(4, firstSeq, true);
  view.setUint16(8, frames.length, true);
  view.setUint16(10, FRAME_BYTES, true);
  view.setUint32(12, 0, true);
  frames.forEach((frame, i) => {
    const offset = HEADER_BYTES + i * FRAME_BYTES;
    view.setFloat64(offset, frame.tMs, true);
    view.setUint8(offset + 8, frame.faceOk ? 1 : 0);
    view.setUint8(offset + 9, frame.poseOk ? 1 : 0);
    new Float32Array(buffer, offset + FACE_OFFSET, FACE_VALUES).set(frame.face);
    new Float32Array(buffer, offset + POSE_OFFSET, POSE_VALUES).set(frame.pose);
  });
  return buffer;
}

export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
