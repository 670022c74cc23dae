// The capture stream: seals frames into batches, keeps them in the outbox until acked,
// reconnects with backoff and resumes from the server's next_seq.
import { BATCH_FRAMES, encodeBatch, uuid4 } from "./wire.js";

const FATAL_CODES = { 4400: "malformed", 4401: "bad_token", 4403: "no_consent", 4409: "session_ended", 4413: "too_large" };
const REWIND_CODE = 3001;

export class CaptureStream {
  constructor({ url, outbox, onStatus }) {
    this.url = url;
    this.outbox = outbox;
    this.onStatus = onStatus || (() => {});
    this.ws = null;
    this.ready = false;
    this.stopped = false;
    this.attempt = 0;
    this.nextSeq = 0; // seq of the next frame we produce
    this.acked = 0; // server's next_seq
    this.inflight = []; // ends (firstSeq + count) of batches sent on this connection, in order
    this.frames = [];
    this.pendingEvents = new Set();
    this.chain = Promise.resolve();
    this.waiters = [];
    this.epoch = Date.now();
    this.lastT = 0;
  }

  async start() {
    const meta = await this.outbox.meta();
    const stored = await this.outbox.batches();
    if (meta) {
      this.epoch = meta.epoch;
      this.lastT = meta.lastT || 0;
      this.nextSeq = meta.nextSeq || 0;
    }
    for (const b of stored) this.nextSeq = Math.max(this.nextSeq, b.firstSeq + b.count);
    for (const e of await this.outbox.events()) this.pendingEvents.add(e.eid);
    await this.saveMeta();
    this.connect();
  }

  // ms since this session's capture began, strictly increasing across reloads.
  now() {
    const t = Math.max(Date.now() - this.epoch, this.lastT + 0.001);
    this.lastT = t;
    return t;
  }

  saveMeta() {
    return this.outbox.putMeta({ epoch: this.epoch, lastT: this.lastT, nextSeq: this.nextSeq });
  }

  connect() {
    if (this.stopped) return;
    this.ready = false;
    this.inflight = [];
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello" }));
    ws.onmessage = (msg) => this.serialise(() => this.handle(JSON.parse(msg.data)));
    ws.onclose = (close) => this.closed(ws, close);
    this.status();
  }

  closed(ws, close) {
    if (ws !== this.ws) return;
    this.ready = false;
    this.ws = null;
    if (FATAL_CODES[close.code] || this.stopped) {
      this.stopped = true;
      this.fatal = this.fatal || FATAL_CODES[close.code] || null;
      this.status();
      this.wake();
      return;
    }
    const delay = close.code === REWIND_CODE ? 0 : Math.min(5000, 250 * 2 ** this.attempt);
    this.attempt += 1;
    this.status();
    setTimeout(() => this.connect(), delay);
  }

  serialise(step) {
    this.chain = this.chain.then(step).catch((err) => console.error("capture stream", err));
    return this.chain;
  }

  async handle(msg) {
    if (msg.type === "ready") {
      this.attempt = 0;
      this.acked = msg.next_seq;
      this.nextSeq = Math.max(this.nextSeq, msg.next_seq);
      await this.outbox.deleteBatchesBelow(msg.next_seq);
      this.ready = true;
      for (const b of (await this.outbox.batches()).sort((a, b) => a.firstSeq - b.firstSeq)) {
        this.sendBatch(b.firstSeq, b.count, b.buffer);
      }
      for (const e of await this.outbox.events()) this.sendMessage(eventMessage(e));
    } else if (msg.type === "ack") {
      const expected = this.inflight.shift();
      if (expected !== undefined && msg.next_seq < expected) {
        // A gap: the server stored nothing of this batch; resend from its next_seq.
        this.ws.close(REWIND_CODE, "rewind");
        return;
      }
      this.acked = Math.max(this.acked, msg.next_seq);
      await this.outbox.deleteBatchesBelow(this.acked);
    } else if (msg.type === "event_ack") {
      this.pendingEvents.delete(msg.eid);
      await this.outbox.deleteEvent(msg.eid);
    } else if (msg.type === "ended") {
      this.stopped = true;
      this.endedFrames = msg.frames;
    } else if (msg.type === "error") {
      this.fatal = msg.code;
      this.fatalDetail = msg.detail;
    }
    this.status();
    this.wake();
  }

  sendMessage(message) {
    if (this.ready && this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  sendBatch(firstSeq, count, buffer) {
    if (!this.ready || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.inflight.push(firstSeq + count);
    this.ws.send(buffer);
  }

  addFrame(frame) {
    this.frames.push(frame);
    if (this.frames.length >= BATCH_FRAMES) this.flush();
  }

  flush() {
    if (!this.frames.length) return this.chain;
    const frames = this.frames;
    this.frames = [];
    const firstSeq = this.nextSeq;
    this.nextSeq += frames.length;
    const buffer = encodeBatch(firstSeq, frames);
    return this.serialise(async () => {
      await this.outbox.putBatch(firstSeq, frames.length, buffer);
      await this.saveMeta();
      this.sendBatch(firstSeq, frames.length, buffer);
      this.status();
    });
  }

  event(name, data) {
    const event = { eid: uuid4(), name, t_ms: this.now(), data };
    this.pendingEvents.add(event.eid);
    return this.serialise(async () => {
      await this.outbox.putEvent(event);
      this.sendMessage(eventMessage(event));
      this.status();
    });
  }

  unacked() {
    return this.nextSeq - this.acked + this.frames.length;
  }

  drained() {
    return this.unacked() === 0 && this.pendingEvents.size === 0;
  }

  // Resolves once every frame and event produced so far is acknowledged.
  async drain() {
    await this.flush();
    while (!this.drained() && !this.fatal) {
      await new Promise((resolve) => this.waiters.push(resolve));
    }
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((resolve) => resolve());
  }

  async end() {
    await this.drain();
    if (this.fatal || !this.ws) return;
    this.ws.send(JSON.stringify({ type: "end" }));
    while (!this.stopped) await new Promise((resolve) => this.waiters.push(resolve));
  }

  status() {
    this.onStatus({
      connected: this.ready,
      unacked: this.unacked(),
      acked: this.acked,
      events: this.pendingEvents.size,
      fatal: this.fatal || null,
      detail: this.fatalDetail || "",
    });
  }
}

function eventMessage(e) {
  return { type: "event", eid: e.eid, name: e.name, t_ms: e.t_ms, data: e.data };
}
