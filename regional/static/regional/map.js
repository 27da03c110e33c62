/* Region map: county outlines and farm points from our own server, no tiles unless a
   Tianditu key is configured. A farm's status is a colour AND a symbol AND a word. */
(function () {
  "use strict";
  var SYMBOL = { critical: "✖", warning: "⚠", offline: "⊘", ok: "✓", empty: "○" };

  function create(el) {
    var labels = {};
    ["critical", "warning", "offline", "ok", "empty"].forEach(function (k) {
      labels[k] = el.dataset["label" + k.charAt(0).toUpperCase() + k.slice(1)] || k;
    });
    var map = L.map(el, { attributionControl: true, zoomSnap: 0.25 });
    map.setView([30.0, 112.9], 8);
    if (el.dataset.tianditu) {
      var key = encodeURIComponent(el.dataset.tianditu);
      ["vec", "cva"].forEach(function (layer) {
        L.tileLayer("https://t{s}.tianditu.gov.cn/" + layer + "_w/wmts?SERVICE=WMTS&REQUEST=GetTile" +
          "&VERSION=1.0.0&LAYER=" + layer + "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles" +
          "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=" + key,
          { subdomains: "01234567", maxZoom: 18, attribution: "天地图" }).addTo(map);
      });
    }
    var outline = L.geoJSON(null, {
      style: { color: "#3b5f3d", weight: 1.5, fillColor: "#dfe9dc", fillOpacity: 0.35 },
      onEachFeature: function (f, layer) {
        // The county's name stays on the map: a reviewer should not have to hover to read it.
        layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "county-label" });
      }
    }).addTo(map);
    var points = L.layerGroup().addTo(map);
    var bounds = null;

    function fit() {
      var b = L.latLngBounds([]);
      if (outline.getLayers().length) b.extend(outline.getBounds());
      points.eachLayer(function (m) { b.extend(m.getLatLng()); });
      if (b.isValid()) map.fitBounds(b.pad(0.05));
    }

    function loadFarms() {
      return fetch(el.dataset.farms, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          points.clearLayers();
          data.features.forEach(function (f) {
            var p = f.properties, c = f.geometry.coordinates;
            var icon = L.divIcon({
              className: "farm-pin status-" + p.status,
              html: "<span>" + SYMBOL[p.status] + "</span>",
              iconSize: [26, 26]
            });
            var m = L.marker([c[1], c[0]], { icon: icon, title: p.name + " · " + labels[p.status] });
            var a = document.createElement("a");
            a.href = p.url; a.textContent = p.name;
            var div = document.createElement("div");
            div.appendChild(a);
            div.appendChild(document.createTextNode(" · " + p.county + " · " + SYMBOL[p.status] + " " + labels[p.status]));
            m.bindPopup(div);
            m.addTo(points);
          });
          el.dataset.loaded = String(data.features.length);
        });
    }

    var boundariesLoaded = fetch(el.dataset.boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        outline.addData(data);
        el.dataset.outlines = String(data.features.length);
        if (data.features.length && el.dataset.attribution) {
          map.attributionControl.addAttribution(el.dataset.attribution);
        }
      });
    Promise.all([boundariesLoaded, loadFarms()]).then(fit);
    return { map: map, refresh: loadFarms };
  }

  window.RegionalMap = { create: create };
  var el = document.getElementById("region-map");
  if (el && !el.dataset.manual) create(el);
})();
