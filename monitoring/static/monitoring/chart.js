// Time-series charts with Apache ECharts (vendored, served by our server).
//
// Each [data-chart] box reads its sites and metrics from data attributes (and the
// form's checkboxes), asks /monitoring/charts/data.json for the range chosen, and draws
// one line per site × metric with its min–max band and the rule limits as lines. The
// time axis is in the browser's local time (the farm's, Asia/Shanghai, for its people).
// Several units on one chart get one y axis each. The CSV link always names the range
// shown, so the export holds what is on screen.
(function () {
  "use strict";

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localInput(d) {
    return (
      d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) +
      "T" + two(d.getHours()) + ":" + two(d.getMinutes())
    );
  }

  function query(box, form) {
    var params = new URLSearchParams();
    params.set("sites", box.dataset.sites);
    var checked = form.querySelectorAll("input[name=metric]:checked");
    var metrics = checked.length
      ? Array.prototype.map.call(checked, function (c) {
          return c.value;
        })
      : box.dataset.metrics.split(",").filter(Boolean);
    metrics.forEach(function (m) {
      params.append("metric", m);
    });
    var range = form.querySelector("input[name=range]:checked").value;
    params.set("range", range);
    if (range === "custom") {
      params.set("start", form.elements.start.value);
      params.set("end", form.elements.end.value);
    }
    return params;
  }

  function option(box, data) {
    var units = [];
    var series = [];
    var legend = [];
    data.series.forEach(function (s) {
      var axis = units.indexOf(s.unit);
      if (axis < 0) {
        units.push(s.unit);
        axis = units.length - 1;
      }
      var name = s.site_name + " · " + s.label + (s.unit ? " (" + s.unit + ")" : "");
      legend.push(name);
      var stack = "band-" + series.length;
      // The band: an invisible line at the minimum with the (max − min) stacked on it.
      series.push({
        name: name + " " + box.dataset.labelRange, type: "line", yAxisIndex: axis,
        stack: stack, symbol: "none", lineStyle: { opacity: 0 }, silent: true,
        data: s.points.map(function (p) { return [p[0], p[2]]; }),
        tooltip: { show: false },
      });
      series.push({
        name: name + " " + box.dataset.labelRange, type: "line", yAxisIndex: axis,
        stack: stack, symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.18 },
        silent: true, data: s.points.map(function (p) { return [p[0], p[3] - p[2]]; }),
        tooltip: { show: false },
      });
      var marks = [];
      s.limits.forEach(function (l) {
        var label = l.name + " · " + box.dataset.labelLimit;
        if (l.low !== null) marks.push({ yAxis: l.low, name: label, lineStyle: { color: l.severity === "critical" ? "#c62828" : "#ef6c00" } });
        if (l.high !== null) marks.push({ yAxis: l.high, name: label, lineStyle: { color: l.severity === "critical" ? "#c62828" : "#ef6c00" } });
      });
      series.push({
        name: name, type: "line", yAxisIndex: axis, showSymbol: false,
        data: s.points.map(function (p) { return [p[0], p[1]]; }),
        markLine: marks.length ? { symbol: "none", data: marks, label: { formatter: "{b}: {c}" } } : undefined,
      });
    });
    return {
      animation: false,
      grid: { left: 48, right: 24 + 40 * Math.max(0, units.length - 1), top: 40, bottom: 70 },
      legend: { data: legend, top: 0, type: "scroll" },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time", min: data.start, max: data.end },
      yAxis: units.map(function (u, i) {
        return { type: "value", name: u, scale: true, position: i % 2 ? "right" : "left", offset: i > 1 ? 40 * (i - 1) : 0 };
      }),
      dataZoom: [{ type: "inside" }, { type: "slider", height: 20, bottom: 10 }],
      series: series,
    };
  }

  function start(box) {
    var form = box.querySelector("[data-chart-form]");
    var area = box.querySelector("[data-chart-area]");
    var message = box.querySelector("[data-chart-message]");
    var csv = box.querySelector("[data-csv]");
    var custom = box.querySelector("[data-custom]");
    var chart = echarts.init(area, null, { renderer: "canvas" });
    var now = new Date();
    form.elements.start.value = localInput(new Date(now.getTime() - 86400000));
    form.elements.end.value = localInput(now);

    function load() {
      var params = query(box, form);
      custom.hidden = params.get("range") !== "custom";
      csv.href = box.dataset.csvUrl + "?" + params.toString();
      box.dataset.state = "loading";
      fetch(box.dataset.url + "?" + params.toString(), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          return r.json().then(function (body) {
            if (!r.ok) throw new Error(body.message || "HTTP " + r.status);
            return body;
          });
        })
        .then(function (data) {
          var empty = data.series.every(function (s) { return !s.points.length; });
          message.textContent = empty ? box.dataset.labelEmpty : "";
          chart.setOption(option(box, data), true);
          box.dataset.state = "ready";
        })
        .catch(function (e) {
          message.textContent = e.message;
          box.dataset.state = "error";
        });
    }
    form.addEventListener("change", load);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      load();
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
    load();
  }

  var boxes = document.querySelectorAll("[data-chart]");
  for (var i = 0; i < boxes.length; i++) start(boxes[i]);
})();
