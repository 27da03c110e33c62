/* The phone app's service worker (hand-written; see phone/README.md).
 *
 * - App shell precached at install, cache-first; replaced whenever its version changes.
 * - Pages (the phone home with its alerts and readings, the alert inbox and incidents):
 *   network first, the last good copy when offline, else the offline page. The pages
 *   carry the time they were built, so a copy from the cache says how old it is.
 * - Push: shows the alert with an "acknowledge" action that works without opening the
 *   app, through the same idempotent endpoint and offline queue as the pages.
 */
"use strict";
importScripts("{{ queue_js }}");

const VERSION = "{{ version }}";
const SHELL = `shell-${VERSION}`;
const PAGES = "pages";
const PRECACHE = {{ precache|safe }};
const STR = {{ strings|safe }};
const OPS_URL = "{{ ops_url }}";
const OFFLINE_URL = "{{ offline_url }}";
const MAX_PAGES = 60;
// Pages worth having offline: the phone home, the inbox, incidents, the short links.
const CACHED_PAGES = [/^\/phone\/$/, /^\/alerts\/$/, /^\/alerts\/incidents\/\d+\/$/, /^\/i\/\d+$/, /^\/$/];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(shellFirst(request));
  } else if (request.mode === "navigate" || CACHED_PAGES.some((re) => re.test(url.pathname))) {
    event.respondWith(pageNetworkFirst(request, url));
  }
});

async function shellFirst(request) {
  const hit = await caches.match(request, { ignoreSearch: true });
  return hit || fetch(request);
}

async function pageNetworkFirst(request, url) {
  const keep = CACHED_PAGES.some((re) => re.test(url.pathname));
  try {
    const response = await fetch(request);
    // A redirect to the login page is not the person's page: never keep it.
    if (keep && response.ok && !response.redirected && response.type === "basic") {
      const cache = await caches.open(PAGES);
      await cache.put(request, response.clone());
      trim(cache);
    }
    return response;
  } catch (err) {
    const hit = await caches.match(request, { cacheName: PAGES, ignoreVary: true });
    return hit || (await caches.match(OFFLINE_URL)) || Response.error();
  }
}

async function trim(cache) {
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) await cache.delete(old);
}

// --- offline operations -----------------------------------------------------------------

async function flushAndTell() {
  const decided = await self.AgrimonStore.flush(OPS_URL);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  windows.forEach((w) => w.postMessage({ type: "synced", decided }));
  return decided;
}

self.addEventListener("sync", (event) => {
  if (event.tag === "phone-ops") event.waitUntil(flushAndTell());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "flush") event.waitUntil(flushAndTell());
});

// --- push ---------------------------------------------------------------------------------

/** What the alert says: the sender's JSON (alerts.transports.webpush.payload). */
function readPush(data) {
  if (!data) return {};
  try {
    return data.json();
  } catch (err) {
    return { title: STR.alert, body: data.text() };
  }
}

async function handlePush(alert) {
  const received = Date.now();
  const severity = STR.severity[alert.severity] || "";
  const title = alert.title || STR.alert;
  const options = {
    body: alert.body || "",
    tag: alert.tag || (alert.incident ? `incident-${alert.incident}` : undefined),
    renotify: true,
    // A critical alert stays on the screen until the farmer does something with it.
    requireInteraction: alert.severity === "critical",
    lang: "zh-CN",
    icon: PRECACHE.find((u) => u.endsWith("icon-192.png")),
    data: { incident: alert.incident, severity: alert.severity, url: alert.url },
    actions: alert.incident ? [{ action: "ack", title: STR.acknowledge }] : [],
  };
  if (severity && !title.includes(severity)) options.body = `${severity} · ${options.body}`;
  let shown = "";
  try {
    await self.registration.showNotification(title, options);
  } catch (err) {
    shown = String(err);  // no permission: recorded, and the pages are told anyway
  }
  await self.AgrimonStore.put("pushes", { received, alert, error: shown });
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  windows.forEach((w) => w.postMessage({ type: "push", received, alert }));
  return received;
}

self.addEventListener("push", (event) => {
  event.waitUntil(handlePush(readPush(event.data)));
});

/** "确认" acknowledges without opening the app; a tap on the alert opens the incident. */
async function handleNotificationClick(data, action) {
  if (action === "ack" && data.incident) {
    const op = await self.AgrimonStore.newOp("acknowledge", data.incident);
    await self.AgrimonStore.put("ops", op);
    const decided = await flushAndTell();
    if (!decided.some((d) => d.op.id === op.id) && self.registration.sync) {
      await self.registration.sync.register("phone-ops").catch(() => {});
    }
    return { op: op.id, decided: decided.filter((d) => d.op.id === op.id) };
  }
  const path = data.incident ? `/i/${Number(data.incident)}` : "/phone/";
  const target = new URL(path, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((w) => w.url === target);
  if (open) return open.focus();
  return self.clients.openWindow(target);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(handleNotificationClick(event.notification.data || {}, event.action));
});
