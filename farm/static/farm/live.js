// Live pages: one WebSocket per page that reconnects by itself, an indicator that
// says whether the page is live, and helpers to update parts of the page in place.
//
// AgrimonLive.connect({url, status, onEvent, onResync}) opens the page's socket.
// A dropped connection is retried with exponential back-off and jitter (1 s doubling
// to 30 s) so a phone on patchy 4G, or a hundred pages after a server restart, do not
// hammer the server in step; going offline waits for the browser's "online" event.
// A ping every 25 s finds connections that died without a close (mobile networks).
// After a reconnect the page's onResync runs, since events may have been missed.
//
// AgrimonLive.replaceRegions(doc) swaps each [data-live-region] of the page by the
// element with the same id in doc, skipping a region where the person is typing;
// AgrimonLive.keepScroll(change) keeps what the person is looking at in place.
(function () {
  "use strict";

  var BASE_MS = 1000;
  var CAP_MS = 30000;
  var PING_MS = 25000;
  var PONG_WAIT_MS = 10000;
  var ICONS = { connecting: "…", live: "●", reconnecting: "↻", offline: "⊘" };

  function retryDelay(attempt) {
    // "Equal jitter": half the exponential step fixed, half random.
    var step = Math.min(CAP_MS, BASE_MS * Math.pow(2, attempt));
    return Math.round(step / 2 + Math.random() * (step / 2));
  }

  function absolute(url) {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return /^wss?:/.test(url) ? url : scheme + location.host + url;
  }

  function showState(el, state) {
    if (!el) return;
    el.dataset.state = state;
    var label = el.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
    var icon = el.querySelector(".live-icon");
    var text = el.querySelector(".live-label");
    if (icon) icon.textContent = ICONS[state] || "";
    if (text && label) text.textContent = label;
  }

  function connect(options) {
    var status = options.status || document.querySelector("[data-live-status]");
    var socket = null;
    var retryTimer = null;
    var pingTimer = null;
    var pongTimer = null;
    var attempt = 0;
    var opened = false;
    var leaving = false;

    function set(state) {
      showState(status, state);
    }

    function clearTimers() {
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      clearTimeout(pongTimer);
      retryTimer = pingTimer = pongTimer = null;
    }

    function open() {
      clearTimers();
      if (navigator.onLine === false) {
        set("offline");
        return;
      }
      var ws = new WebSocket(absolute(options.url));
      socket = ws;
      ws.onopen = function () {
        attempt = 0;
        set("live");
        pingTimer = setInterval(ping, PING_MS);
        if (opened && options.onResync) options.onResync();
        opened = true;
      };
      ws.onmessage = function (msg) {
        clearTimeout(pongTimer);
        pongTimer = null;
        var data;
        try {
          data = JSON.parse(msg.data);
        } catch (e) {
          return;
        }
        if (data && data.kind !== "pong" && options.onEvent) options.onEvent(data);
      };
      ws.onclose = function () {
        if (socket !== ws) return; // an older socket we already gave up on
        socket = null;
        clearTimers();
        if (!leaving) retry();
      };
    }

    function ping() {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({ type: "ping" }));
      if (!pongTimer) pongTimer = setTimeout(drop, PONG_WAIT_MS);
    }

    function drop() {
      // The connection is dead without having said so: give up on it and retry.
      var ws = socket;
      socket = null;
      clearTimers();
      if (ws) ws.close();
      retry();
    }

    function retry() {
      if (retryTimer) return;
      if (navigator.onLine === false) {
        set("offline");
        return;
      }
      set("reconnecting");
      retryTimer = setTimeout(open, retryDelay(attempt));
      attempt += 1;
    }

    function now() {
      // Back online or back in front of the person: try at once, not after the back-off.
      if (socket) return;
      attempt = 0;
      open();
    }

    window.addEventListener("online", now);
    window.addEventListener("offline", function () {
      set("offline");
      drop();
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") now();
    });
    function stop() {
      var ws = socket;
      leaving = true;
      socket = null;
      clearTimers();
      if (ws) ws.close();
    }

    window.addEventListener("pagehide", stop);
    window.addEventListener("pageshow", function (e) {
      if (e.persisted) {
        leaving = false;
        now();
      }
    });

    set("connecting");
    open();
    return { close: stop };
  }

  // --- updating in place ---------------------------------------------------------------

  function anchor(skip) {
    var all = document.querySelectorAll("[data-live-anchor]");
    for (var i = 0; i < all.length; i++) {
      var el = all[i];
      if (skip && (skip === el || skip.contains(el))) continue;
      if (el.getBoundingClientRect().bottom > 0) return el;
    }
    return null;
  }

  function keepScroll(change, skip) {
    if (window.scrollY === 0) return change(); // at the top: let new items show
    var el = anchor(skip);
    var before = el ? el.getBoundingClientRect().top : 0;
    var result = change();
    if (el && el.isConnected) {
      var moved = el.getBoundingClientRect().top - before;
      if (moved) window.scrollBy(0, moved);
    }
    return result;
  }

  function busy(region) {
    // Someone is typing here: a swap would lose their text or their place.
    var active = document.activeElement;
    if (active && active !== document.body && region.contains(active)) return true;
    var fields = region.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden") continue;
      if (f.value !== f.defaultValue) return true;
    }
    return false;
  }

  function replaceRegions(doc) {
    var regions = document.querySelectorAll("[data-live-region]");
    for (var i = 0; i < regions.length; i++) {
      var old = regions[i];
      var fresh = old.id && doc.getElementById(old.id);
      if (!fresh || old.isEqualNode(fresh) || busy(old)) continue;
      keepScroll(function () {
        old.replaceWith(document.importNode(fresh, true));
      }, old);
    }
  }

  // The part at url as a parsed document; null when it is gone or out of reach (404/403).
  function fetchHTML(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      cache: "no-store",
    }).then(function (response) {
      // A redirect is the login page (the session ended): that says nothing about
      // the part asked for, so keep what is on screen rather than remove it.
      if (response.redirected) throw new Error(url + ": redirected to " + response.url);
      if (response.status === 404 || response.status === 403) return null;
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response.text().then(function (text) {
        return new DOMParser().parseFromString(text, "text/html");
      });
    });
  }

  window.AgrimonLive = {
    connect: connect,
    keepScroll: keepScroll,
    replaceRegions: replaceRegions,
    fetchHTML: fetchHTML,
    retryDelay: retryDelay,
  };
})();
