/* Pest trend: catch per week per species (ECharts); a week without photos is a gap. */
(function () {
  "use strict";
  var el = document.getElementById("pest-trend");
  var data = JSON.parse(document.getElementById("pest-data").textContent);
  if (!el || !window.echarts) return;
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { type: "scroll" },
    xAxis: { type: "category", data: data.weeks },
    yAxis: { type: "value", minInterval: 1 },
    series: data.series.map(function (s, i) {
      return { name: s.name, type: "line", data: s.data, connectNulls: false,
               symbol: ["circle", "rect", "triangle", "diamond", "pin"][i % 5], symbolSize: 8 };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
