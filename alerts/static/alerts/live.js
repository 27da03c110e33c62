// Alert pages stay live without reloading: the inbox fetches the row of each incident
// that changed (the same partial the page is built from) and puts it in place; an
// incident's page re-reads itself and swaps only the parts that changed. Needs
// farm/live.js (AgrimonLive) loaded first.
(function () {
  "use strict";
  var live = window.AgrimonLive;
  var root = document.querySelector("[data-live-page]");
  if (!live || !root || !window.WebSocket) return;

  var DEBOUNCE_MS = 250; // a burst of transitions of one incident is one fetch

  function isAlertEvent(e) {
    return (e.kind === "alert" || e.kind === "incident") && e.incident;
  }

  // --- the inbox: one row per incident ---------------------------------------------------

  function inbox(list) {
    var rowUrl = list.dataset.rowUrl; // ".../incidents/0/row/"
    var pending = {};
    var timer = null;

    function rowOf(id) {
      return list.querySelector('[data-incident="' + id + '"]');
    }

    function put(fresh) {
      var id = fresh.dataset.incident;
      var old = rowOf(id);
      var row = document.importNode(fresh, true);
      if (old) {
        if (!old.isEqualNode(row)) live.keepScroll(function () { old.replaceWith(row); }, old);
        return;
      }
      // The "open" tab does not list closed incidents it had not shown before.
      if (list.dataset.show === "open" && row.classList.contains("resolved")) return;
      // A new incident goes where the page's order (newest first) puts it.
      var opened = Number(row.dataset.opened);
      var rows = list.querySelectorAll("[data-incident]");
      var before = null;
      for (var i = 0; i < rows.length; i++) {
        if (Number(rows[i].dataset.opened) <= opened) {
          before = rows[i];
          break;
        }
      }
      live.keepScroll(function () {
        var empty = list.querySelector("[data-empty]");
        if (empty) empty.remove();
        list.insertBefore(row, before);
      });
    }

    function refresh(id) {
      return live.fetchHTML(rowUrl.replace("/0/", "/" + id + "/")).then(function (doc) {
        var fresh = doc && doc.querySelector("[data-incident]");
        if (fresh) {
          put(fresh);
        } else {
          var old = rowOf(id);
          if (old) live.keepScroll(function () { old.remove(); }, old);
        }
      });
    }

    function flush() {
      timer = null;
      var ids = Object.keys(pending);
      pending = {};
      ids.forEach(function (id) {
        refresh(id).catch(function () {
          pending[id] = true; // try again with the next event or reconnect
        });
      });
    }

    function queue(id) {
      pending[id] = true;
      if (!timer) timer = setTimeout(flush, DEBOUNCE_MS);
    }

    function resync() {
      // Events may have been missed while disconnected: re-read the list, and every
      // row on screen that is no longer in it.
      live.fetchHTML(location.href).then(function (doc) {
        var seen = {};
        var fresh = doc ? doc.querySelectorAll("#incidents [data-incident]") : [];
        for (var i = fresh.length - 1; i >= 0; i--) {
          seen[fresh[i].dataset.incident] = true;
          put(fresh[i]);
        }
        list.querySelectorAll("[data-incident]").forEach(function (row) {
          if (!seen[row.dataset.incident]) queue(row.dataset.incident);
        });
      }).catch(function () {});
    }

    live.connect({
      url: list.dataset.liveUrl,
      onEvent: function (e) {
        if (isAlertEvent(e)) queue(String(e.incident));
      },
      onResync: resync,
    });
  }

  // --- one incident's page ---------------------------------------------------------------

  function incidentPage(card) {
    var id = String(card.dataset.incident);
    var timer = null;

    function refresh() {
      timer = null;
      live.fetchHTML(location.href).then(function (doc) {
        if (doc) live.replaceRegions(doc);
      }).catch(function () {});
    }

    function queue() {
      if (!timer) timer = setTimeout(refresh, DEBOUNCE_MS);
    }

    live.connect({
      url: card.dataset.liveUrl,
      onEvent: function (e) {
        if (isAlertEvent(e) && String(e.incident) === id) queue();
      },
      onResync: queue,
    });
  }

  if (root.dataset.livePage === "inbox") inbox(root);
  else if (root.dataset.livePage === "incident") incidentPage(root);
})();
