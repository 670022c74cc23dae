// IndexedDB outbox: every batch and event stays here until the server acknowledges it,
// so a dropped connection or a page reload loses nothing.
const DB_NAME = "stresslab-capture";

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class Outbox {
  static async open(session) {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore("batches", { keyPath: ["session", "firstSeq"] });
      db.createObjectStore("events", { keyPath: ["session", "eid"] });
      db.createObjectStore("meta", { keyPath: "session" });
    };
    return new Outbox(await request(open), session);
  }

  constructor(db, session) {
    this.db = db;
    this.session = session;
  }

  store(name, mode = "readonly") {
    return this.db.transaction(name, mode).objectStore(name);
  }

  putBatch(firstSeq, count, buffer) {
    return request(this.store("batches", "readwrite").put({ session: this.session, firstSeq, count, buffer }));
  }

  batches() {
    const range = IDBKeyRange.bound([this.session, 0], [this.session, Number.MAX_SAFE_INTEGER]);
    return request(this.store("batches").getAll(range));
  }

  async deleteBatchesBelow(nextSeq) {
    const store = this.store("batches", "readwrite");
    const rows = await request(store.getAll(IDBKeyRange.bound([this.session, 0], [this.session, nextSeq])));
    await Promise.all(rows.filter((r) => r.firstSeq + r.count <= nextSeq)
      .map((r) => request(store.delete([this.session, r.firstSeq]))));
  }

  putEvent(event) {
    return request(this.store("events", "readwrite").put({ session: this.session, ...event }));
  }

  deleteEvent(eid) {
    return request(this.store("events", "readwrite").delete([this.session, eid]));
  }

  async events() {
    const rows = await request(this.store("events").getAll(IDBKeyRange.bound([this.session, ""], [this.session, "\uffff"])));
    return rows.sort((a, b) => a.t_ms - b.t_ms);
  }

  async meta() {
    return (await request(this.store("meta").get(this.session))) || null;
  }

  putMeta(meta) {
    return request(this.store("meta", "readwrite").put({ session: this.session, ...meta }));
  }
}
