/* The phone's home page: how old its data is, acknowledge and snooze that work offline,
 * and the push notification switch. Texts come translated from the page. */
(function () {
  "use strict";
  const root = document.getElementById("phone-home");
  if (!root) return;
  const T = JSON.parse(document.getElementById("phone-strings").textContent);
  const store = window.AgrimonStore;

  // --- how old the data is -------------------------------------------------------------
  const age = document.querySelector("[data-testid=data-age]");
  const generated = Date.parse(root.dataset.generatedAt);

  function ageText(ms) {
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return T.less_than_a_minute;
    if (minutes < 60) return T.minutes.replace("%(n)s", minutes);
    if (minutes < 48 * 60) return T.hours.replace("%(n)s", Math.floor(minutes / 60));
    return T.days.replace("%(n)s", Math.floor(minutes / 1440));
  }

  function showAge() {
    const text = T.updated_ago.replace("%(age)s", ageText(Date.now() - generated));
    age.textContent = navigator.onLine ? text : `${T.offline} · ${text}`;
    age.classList.toggle("stale", !navigator.onLine || Date.now() - generated > 10 * 60000);
  }
  showAge();
  setInterval(showAge, 30000);
  window.addEventListener("online", showAge);
  window.addEventListener("offline", showAge);

  // --- acknowledge and snooze, queued first so nothing is lost ---------------------------
  function item(incident) {
    return root.querySelector(`[data-testid=incident][data-incident="${incident}"]`);
  }

  function markPending(op) {
    const li = item(op.incident);
    if (!li) return;
    li.querySelector("[data-testid=pending]").hidden = false;
    if (op.kind === "acknowledge") {
      li.querySelector("[data-testid=state]").textContent = T.acknowledged;
      li.dataset.state = "acknowledged";
    } else if (op.kind === "snooze") {
      li.querySelector("[data-testid=state]").textContent =
        T.snoozed_for.replace("%(n)s", op.minutes);
    }
    li.querySelectorAll("[data-action]").forEach((el) => { el.hidden = true; });
  }

  function showAnswer(op, answer) {
    const li = item(op.incident);
    if (!li) return;
    li.querySelector("[data-testid=pending]").hidden = true;
    li.querySelector("[data-testid=answer]").textContent = answer.message || "";
    if (["refused", "conflict", "not_found", "rejected"].includes(answer.result)) {
      li.querySelectorAll("[data-action]").forEach((el) => { el.hidden = false; });
    }
  }

  async function act(kind, incident, extra) {
    const op = await store.newOp(kind, incident, extra);
    await store.put("ops", op);  // first on the phone, then to the server
    markPending(op);
    const reg = "serviceWorker" in navigator && (await navigator.serviceWorker.getRegistration());
    if (reg && reg.sync) reg.sync.register("phone-ops").catch(() => {});
    await window.AgrimonSync.sync();
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action=acknowledge]");
    if (!button) return;
    act("acknowledge", button.closest("[data-incident]").dataset.incident);
  });
  root.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-action=snooze]");
    if (!form) return;
    event.preventDefault();
    act("snooze", form.closest("[data-incident]").dataset.incident, {
      minutes: Number(form.elements.minutes.value),
      reason: form.elements.reason.value,
    });
  });
  document.addEventListener("phone:synced", (event) =>
    event.detail.forEach(({ op, answer }) => showAnswer(op, answer)));
  store.pending().then((ops) => ops.forEach(markPending));

  // --- push notifications ----------------------------------------------------------------
  const push = document.getElementById("push");
  const key = push.dataset.key;
  const toggle = push.querySelector("[data-testid=push-toggle]");
  const state = push.querySelector("[data-testid=push-state]");

  function keyBytes(base64url) {
    const text = atob((base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  async function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": await store.meta("csrf") },
      body: JSON.stringify(body),
    });
  }

  async function showPush() {
    if (!key) return;  // "not configured" is rendered by the server
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      state.textContent = T.push_unsupported;
      return;
    }
    if (Notification.permission === "denied") {
      state.textContent = T.push_blocked;
      return;
    }
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.getSubscription();
    state.textContent = sub ? T.push_on : T.push_off;
    toggle.textContent = sub ? T.push_turn_off : T.push_turn_on;
    toggle.dataset.on = sub ? "1" : "";
    toggle.hidden = false;
  }

  // A push service that cannot be reached (Chrome's, from mainland China) can leave
  // subscribe() pending for minutes: give up after a while and say so.
  const SUBSCRIBE_TIMEOUT_MS = 15000;

  function inTime(promise) {
    return Promise.race([promise, new Promise((resolve, reject) =>
      setTimeout(() => reject(new Error(T.push_unreachable)), SUBSCRIBE_TIMEOUT_MS))]);
  }

  async function switchPush() {
    toggle.disabled = true;
    state.textContent = T.push_working;
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.getSubscription();
    try {
      if (sub) {
        await post(push.dataset.unsubscribeUrl, { endpoint: sub.endpoint });
        await sub.unsubscribe();
      } else {
        if ((await Notification.requestPermission()) !== "granted") throw new Error("denied");
        const made = await inTime(reg.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(key),
        }));
        const response = await post(push.dataset.subscribeUrl, made.toJSON());
        if (!response.ok) {
          await made.unsubscribe();
          const answer = await response.json().catch(() => ({}));
          throw new Error(answer.message || (await response.text()));
        }
      }
      await showPush();
    } catch (err) {
      await showPush();
      state.textContent = `${T.push_failed} ${err.message || err}`;
    } finally {
      toggle.disabled = false;
    }
  }

  if (toggle) toggle.addEventListener("click", switchPush);
  showPush();
})();
