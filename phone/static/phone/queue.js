/* The phone's offline store in IndexedDB, shared by the pages and the service worker.
 *
 * "ops": acknowledge and snooze made on the phone, each with the UUID the server keys it
 * by, kept until the server gives a decided answer (so nothing done offline is lost).
 * "meta": the CSRF token and user id of the last page, for the worker's own requests.
 * "pushes": every push the worker handled, with the time it did.
 */
(function (scope) {
  "use strict";
  const DB_NAME = "agrimon-phone";
  // Answers after which sending again cannot change anything: forget the operation.
  const DECIDED = new Set([
    "applied", "unchanged", "expired", "refused", "conflict", "not_found", "rejected",
  ]);

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("ops", { keyPath: "id" });
        db.createObjectStore("meta", { keyPath: "key" });
        db.createObjectStore("pushes", { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(store, mode, action) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const request = action(tx.objectStore(store));
      tx.oncomplete = () => { db.close(); resolve(request ? request.result : undefined); };
      tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
    });
  }

  function uuid() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const store = {
    put: (name, value) => run(name, "readwrite", (s) => s.put(value)),
    get: (name, key) => run(name, "readonly", (s) => s.get(key)),
    all: (name) => run(name, "readonly", (s) => s.getAll()),
    remove: (name, key) => run(name, "readwrite", (s) => s.delete(key)),

    async meta(key) {
      const row = await store.get("meta", key);
      return row ? row.value : "";
    },

    /** A new operation, stamped with the time the farmer tapped. */
    async newOp(kind, incident, extra) {
      const user = await store.meta("user");
      return Object.assign(
        { id: uuid(), kind, incident: Number(incident), at: new Date().toISOString(), user },
        extra || {},
      );
    },

    /** The operations of the signed-in person still waiting for the server. */
    async pending() {
      const user = await store.meta("user");
      return (await store.all("ops")).filter((op) => String(op.user) === String(user));
    },

    /**
     * Send every waiting operation; return the decided ones with the server's answer.
     * Stops at the first network failure (offline): the rest wait for the next try.
     */
    async flush(opsUrl) {
      const csrf = await store.meta("csrf");
      const decided = [];
      for (const op of await store.pending()) {
        let response;
        try {
          response = await fetch(opsUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify(op),
          });
        } catch (err) {
          break;
        }
        let answer = null;
        try { answer = await response.json(); } catch (err) { answer = null; }
        if (answer && DECIDED.has(answer.result)) {
          await store.remove("ops", op.id);
          decided.push({ op, status: response.status, answer });
        }
      }
      return decided;
    },
  };

  scope.AgrimonStore = store;
})(self);
