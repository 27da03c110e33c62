/* Big screen: counts, areas and the incident feed from screen/data.json, refreshed when the
   page socket (/ws/live/) reports an alert change on one of the region's farms, and every
   minute as a fallback. The socket reconnects with backoff. */
(function () {
  "use strict";
  var root = document.getElementById("screen");
  var d = root.dataset;
  var SYMBOL = { critical: "✖", warning: "⚠", offline: "⊘", ok: "✓", empty: "○" };
  var map = window.RegionalMap.create(document.getElementById("screen-map"));
  var pending = null;

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function render(data) {
    if (!data.total) return;
    root.querySelectorAll(".counts b[data-k]").forEach(function (b) {
      var v = data.total[b.dataset.k];
      b.textContent = v === null || v === undefined ? "—" : v;
    });
    var body = root.querySelector("[data-testid=screen-children]");
    body.replaceChildren();
    data.children.forEach(function (c) {
      var tr = document.createElement("tr");
      tr.appendChild(text("td", c.name));
      tr.appendChild(text("td", SYMBOL[c.status] + " " + d["label" + c.status.charAt(0).toUpperCase() + c.status.slice(1)]));
      tr.appendChild(text("td", "✖ " + c.critical + "  ⚠ " + c.warning + "  ⊘ " + c.offline));
      body.appendChild(tr);
    });
    var feed = root.querySelector("[data-testid=screen-feed]");
    feed.replaceChildren();
    if (!data.incidents.length) feed.appendChild(text("li", d.labelNone));
    data.incidents.forEach(function (i) {
      var li = text("li", (i.severity === "critical" ? "✖ " : i.severity === "warning" ? "⚠ " : "ℹ ") +
        i.opened + " " + i.county + " · " + i.title + (i.acknowledged ? " (" + d.labelAcknowledged + ")" : ""),
        "sev-" + i.severity);
      li.dataset.incident = i.id;
      feed.appendChild(li);
    });
    root.querySelector("[data-testid=updated]").textContent = data.at;
  }

  // Refreshes under way, on the root as data-refreshing: a test (or a curious reviewer)
  // can tell the screen is showing the server's latest answer.
  var inFlight = 0;
  function refresh() {
    pending = null;
    inFlight += 1;
    root.dataset.refreshing = String(inFlight);
    var counts = fetch(d.data, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(render);
    Promise.allSettled([counts, map.refresh()]).then(function () {
      inFlight -= 1;
      root.dataset.refreshing = String(inFlight);
    });
  }

  function soon() {
    if (!pending) pending = setTimeout(refresh, 500);  // a burst of changes, one refresh
  }

  var delay = 1000;
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var query = d.farms ? "?farms=" + encodeURIComponent(d.farms) : "";
    var ws = new WebSocket(proto + location.host + "/ws/live/" + query);
    var conn = root.querySelector("[data-testid=connection]");
    ws.onopen = function () { delay = 1000; conn.textContent = d.labelLive; conn.classList.add("live"); refresh(); };
    ws.onmessage = function (e) {
      var msg = JSON.parse(e.data);
      if (msg.kind === "alert" || msg.kind === "incident") soon();
    };
    ws.onclose = function () {
      conn.textContent = d.labelReconnecting; conn.classList.remove("live");
      setTimeout(connect, delay); delay = Math.min(delay * 2, 30000);
    };
  }
  refresh();
  connect();
  setInterval(refresh, 60000);
})();
