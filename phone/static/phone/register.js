/* On every page: install the service worker, keep its CSRF token and user current,
 * send what was queued offline when the network is back, and show how much waits. */
(function () {
  "use strict";
  const badge = document.getElementById("phone-sync");
  if (!badge || !("indexedDB" in window)) return;
  const store = window.AgrimonStore;
  const opsUrl = badge.dataset.opsUrl;
  // While something waits, try again now and then: the "online" event is not reliable
  // (a phone on a weak signal, a captive portal, an emulated network).
  const RETRY_MS = 10000;
  let retry = null;

  async function showPending() {
    const n = (await store.pending()).length;
    badge.hidden = n === 0;
    badge.textContent = `${badge.dataset.label} ${n}`;
    document.dispatchEvent(new CustomEvent("phone:pending"));
    return n;
  }

  async function sync() {
    const decided = await store.flush(opsUrl);
    if ((await showPending()) > 0 && retry === null) {
      retry = setTimeout(() => { retry = null; sync(); }, RETRY_MS);
    }
    if (decided.length) document.dispatchEvent(new CustomEvent("phone:synced", { detail: decided }));
    return decided;
  }

  async function start() {
    await store.put("meta", { key: "csrf", value: badge.dataset.csrf });
    await store.put("meta", { key: "user", value: badge.dataset.user });
    if (badge.dataset.user) await sync(); else await showPending();
  }

  window.AgrimonSync = { sync, showPending };
  window.addEventListener("online", sync);
  // A logged-out phone must not show the last person's pages from the cache.
  document.querySelectorAll("form[data-logout]").forEach((form) =>
    form.addEventListener("submit", () => { if (window.caches) caches.delete("pages"); }));

  if ("serviceWorker" in navigator) {
    const lang = encodeURIComponent(document.documentElement.lang || "");
    navigator.serviceWorker.register(`/sw.js?lang=${lang}`, { scope: "/" }).catch((err) =>
      console.warn("service worker not installed", err));  // the site still works online
    navigator.serviceWorker.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "synced") {
        showPending();
        document.dispatchEvent(new CustomEvent("phone:synced", { detail: data.decided || [] }));
      } else if (data.type === "push") {
        document.dispatchEvent(new CustomEvent("phone:push", { detail: data }));
      }
    });
  }
  start();
})();
