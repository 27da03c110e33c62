// The farm wall and the site page's "water now" panel, kept current over /ws/live/.
//
// A live message naming a site (a reading, an alert transition, an aerator) makes the
// page fetch that site's tile (or panel) from the server and swap it in; messages for
// the same site while a fetch is under way are folded into one more fetch. After a
// reconnect every tile is fetched again and a note says how long the page was offline.
// Ages ("3 min ago") and staleness are recomputed every 15 s from each figure's time, so
// a wall left running for hours stays truthful without a reload. In wall-screen mode
// the tiles that do not fit are shown in pages that rotate, and tiles are kept sorted
// by risk.
(function () {
  "use strict";

  var STRINGS = JSON.parse(document.getElementById("monitoring-strings").textContent);
  var ORDER = { critical: 5, warning: 4, fault: 3, stale: 2, ok: 1, nodata: 0 };
  var ROTATE_MS = 15000;

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] !== undefined ? values[k] : m;
    });
  }

  function ageText(ms) {
    var min = Math.floor(ms / 60000);
    if (min < 1) return STRINGS.now;
    if (min < 60) return fmt(STRINGS.min, { n: min });
    if (min < 2880) return fmt(STRINGS.hour, { n: Math.floor(min / 60) });
    return fmt(STRINGS.day, { n: Math.floor(min / 1440) });
  }

  function clockText(d) {
    function two(n) {
      return (n < 10 ? "0" : "") + n;
    }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function refreshAges(root, staleMs) {
    var now = Date.now();
    var figs = root.querySelectorAll(".fig[data-at]");
    for (var i = 0; i < figs.length; i++) {
      var fig = figs[i];
      var age = now - Number(fig.dataset.at);
      var el = fig.querySelector(".age");
      if (el) el.textContent = ageText(age);
      if (staleMs && age > staleMs && fig.dataset.level !== "fault" && fig.dataset.level !== "stale") {
        fig.dataset.level = "stale";
        var word = fig.querySelector("[data-word]");
        if (word) word.textContent = STRINGS.stale;
      }
    }
  }

  // --- fetching one part again -----------------------------------------------------------

  function Refresher(urlOf, swap) {
    var busy = {};
    var again = {};
    return function refresh(key) {
      if (busy[key]) {
        again[key] = true;
        return;
      }
      busy[key] = true;
      AgrimonLive.fetchHTML(urlOf(key))
        .then(function (doc) {
          swap(key, doc);
        })
        .catch(function () {})
        .then(function () {
          busy[key] = false;
          if (again[key]) {
            again[key] = false;
            refresh(key);
          }
        });
    };
  }

  function siteOf(data, root) {
    if (data.site) return String(data.site);
    var attr = data.incident ? "incidents" : data.aerator ? "aerators" : null;
    if (!attr) return null;
    var id = String(data.incident || data.aerator);
    var holders = root.querySelectorAll("[data-" + attr + "]");
    for (var i = 0; i < holders.length; i++) {
      if ((" " + holders[i].dataset[attr] + " ").indexOf(" " + id + " ") >= 0) {
        return holders[i].dataset.site || holders[i].dataset.siteNow;
      }
    }
    return null;
  }

  function offlineNote(note, from, to) {
    if (!note || !from) return;
    note.textContent = fmt(STRINGS.offline, { from: clockText(from), to: clockText(to) });
    note.hidden = false;
  }

  // --- the wall ----------------------------------------------------------------------------

  function sortTiles(grid) {
    var tiles = Array.prototype.slice.call(grid.querySelectorAll(".tile"));
    var sorted = tiles.slice().sort(function (a, b) {
      return (ORDER[b.dataset.status] || 0) - (ORDER[a.dataset.status] || 0);
    });
    var same = sorted.every(function (t, i) {
      return t === tiles[i];
    });
    if (same) return;
    AgrimonLive.keepScroll(function () {
      sorted.forEach(function (t) {
        grid.appendChild(t);
      });
    });
  }

  function Pager(wall, label) {
    var page = 0;
    var timer = null;
    function pages() {
      var grid = wall.querySelector("[data-tiles]"); // replaced whole after a reconnect
      var tiles = grid.querySelectorAll(".tile");
      if (!tiles.length) return [];
      tiles.forEach(function (t) {
        t.hidden = false;
      });
      var bottom = window.innerHeight;
      var top = grid.getBoundingClientRect().top;
      var room = bottom - top;
      var out = [];
      var current = [];
      var pageTop = null;
      for (var i = 0; i < tiles.length; i++) {
        var r = tiles[i].getBoundingClientRect();
        if (pageTop === null) pageTop = r.top;
        if (r.bottom - pageTop > room && current.length) {
          out.push(current);
          current = [];
          pageTop = r.top;
        }
        current.push(tiles[i]);
      }
      if (current.length) out.push(current);
      return out;
    }
    function show() {
      var all = pages();
      if (!all.length) return;
      page = page % all.length;
      all.forEach(function (p, i) {
        p.forEach(function (t) {
          t.hidden = i !== page;
        });
      });
      label.textContent = all.length > 1 ? fmt(STRINGS.page, { i: page + 1, n: all.length }) : "";
      wall.dataset.pages = String(all.length);
    }
    function next() {
      page += 1;
      show();
    }
    return {
      start: function () {
        show();
        clearInterval(timer);
        timer = setInterval(next, ROTATE_MS);
      },
      show: show,
    };
  }

  function startWall(wall) {
    var grid = wall.querySelector("[data-tiles]");
    var staleMs = Number(wall.dataset.staleMs) || 0;
    var screen = wall.classList.contains("screen");
    var pager = screen ? Pager(wall, wall.querySelector("[data-pager]")) : null;
    var note = wall.querySelector("[data-offline-note]");
    var clock = wall.querySelector("[data-clock]");
    var lostAt = null;

    function placed() {
      sortTiles(grid);
      if (pager) pager.show();
    }

    var refreshTile = Refresher(
      function (site) {
        return "/monitoring/tiles/" + site + "/";
      },
      function (site, doc) {
        var old = document.getElementById("tile-" + site);
        if (!old) return;
        if (!doc) {
          old.remove(); // gone or out of reach
          return;
        }
        var fresh = doc.querySelector(".tile");
        if (!fresh) return;
        fresh = document.importNode(fresh, true);
        fresh.hidden = old.hidden;
        var moved = fresh.dataset.status !== old.dataset.status;
        old.replaceWith(fresh);
        refreshAges(fresh, staleMs);
        // Only a change of status can change the order and the pages: a wall of 200
        // ponds gets several readings a second, and laying out every tile again for
        // each would keep the page busy.
        if (moved) placed();
      }
    );

    function resync() {
      AgrimonLive.fetchHTML(location.href)
        .then(function (doc) {
          var fresh = doc && doc.querySelector("[data-tiles]");
          if (!fresh) return;
          grid.replaceWith(document.importNode(fresh, true));
          grid = document.querySelector("[data-tiles]");
          placed();
          refreshAges(grid, staleMs);
        })
        .catch(function () {});
      offlineNote(note, lostAt, new Date());
      lostAt = null;
    }

    var status = wall.querySelector("[data-live-status]");
    new MutationObserver(function () {
      var s = status.dataset.state;
      if ((s === "reconnecting" || s === "offline") && !lostAt) lostAt = new Date();
    }).observe(status, { attributes: true, attributeFilter: ["data-state"] });

    AgrimonLive.connect({
      url: wall.dataset.liveUrl,
      status: status,
      onEvent: function (data) {
        var site = siteOf(data, grid);
        if (site && document.getElementById("tile-" + site)) refreshTile(site);
      },
      onResync: resync,
    });

    function tick() {
      if (clock) clock.textContent = clockText(new Date());
    }
    tick();
    setInterval(tick, 1000);
    setInterval(function () {
      refreshAges(grid, staleMs);
    }, 15000);
    refreshAges(grid, staleMs);
    if (pager) {
      pager.start();
      window.addEventListener("resize", pager.show);
    }

    var full = wall.querySelector("[data-fullscreen]");
    if (full && document.documentElement.requestFullscreen) {
      full.addEventListener("click", function () {
        if (document.fullscreenElement) document.exitFullscreen();
        else document.documentElement.requestFullscreen().catch(function () {});
      });
    } else if (full) {
      full.hidden = true;
    }
    CameraFrames(wall);
  }

  // --- the site page's panel ----------------------------------------------------------------

  function startPanel(panel) {
    var site = panel.dataset.siteNow;
    var staleMs = Number(panel.dataset.staleMs) || 0;
    var status = document.querySelector("[data-live-status]");
    var note = document.querySelector("[data-offline-note]");
    var lostAt = null;
    var refresh = Refresher(
      function () {
        return panel.dataset.panelUrl;
      },
      function (key, doc) {
        var fresh = doc && doc.querySelector("[data-site-now]");
        var old = document.querySelector("[data-site-now]");
        if (!fresh || !old) return;
        old.replaceWith(document.importNode(fresh, true));
        refreshAges(document.querySelector("[data-site-now]"), staleMs);
        document.dispatchEvent(new CustomEvent("monitoring:site-updated"));
      }
    );
    if (status) {
      new MutationObserver(function () {
        var s = status.dataset.state;
        if ((s === "reconnecting" || s === "offline") && !lostAt) lostAt = new Date();
      }).observe(status, { attributes: true, attributeFilter: ["data-state"] });
    }
    AgrimonLive.connect({
      url: "/ws/live/?farms=" + panel.dataset.farm,
      status: status,
      onEvent: function (data) {
        var root = document.querySelector("[data-site-now]");
        if (siteOf(data, root.parentNode) === site) refresh(site);
      },
      onResync: function () {
        refresh(site);
        offlineNote(note, lostAt, new Date());
        lostAt = null;
      },
    });
    setInterval(function () {
      refreshAges(document.querySelector("[data-site-now]"), staleMs);
    }, 15000);
    refreshAges(panel, staleMs);
  }

  // --- camera frames: refreshed while the page is visible ----------------------------------

  function CameraFrames(root) {
    var FRAME_MS = 10000;
    var timer = null;
    function reload() {
      var imgs = root.querySelectorAll("img[data-frame-src]");
      for (var i = 0; i < imgs.length; i++) {
        if (imgs[i].closest(".tile[hidden]")) continue;
        refreshFrame(imgs[i]);
      }
    }
    function start() {
      clearInterval(timer);
      timer = document.visibilityState === "visible" ? setInterval(reload, FRAME_MS) : null;
    }
    document.addEventListener("visibilitychange", start);
    start();
  }

  function refreshFrame(img) {
    fetch(img.dataset.frameSrc, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        var at = r.headers.get("X-Frame-Time");
        return r.blob().then(function (b) {
          return { blob: b, at: at };
        });
      })
      .then(function (got) {
        var old = img.src;
        img.src = URL.createObjectURL(got.blob);
        if (old.indexOf("blob:") === 0) URL.revokeObjectURL(old);
        var time = img.closest("figure").querySelector(".frame-time");
        if (time && got.at) {
          var d = new Date(got.at);
          time.dateTime = got.at;
          time.textContent = clockText(d);
        }
      })
      .catch(function () {});
  }

  window.MonitoringFrames = { refresh: refreshFrame };

  var wall = document.querySelector("[data-wall]");
  if (wall) startWall(wall);
  var panel = document.querySelector("[data-site-now]");
  if (panel && !wall && panel.dataset.farm) startPanel(panel);
})();
