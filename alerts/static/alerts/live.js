// Reload the alert page when the farm's live channel reports an alert change.
(function () {
  var list = document.getElementById("incidents");
  if (!list || !window.WebSocket) return;
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  (list.dataset.farms || "").split(",").filter(Boolean).forEach(function (farm) {
    var ws = new WebSocket(scheme + location.host + "/ws/farms/" + farm + "/");
    ws.onmessage = function (msg) {
      var data = JSON.parse(msg.data);
      if (data.kind === "alert" || data.kind === "incident") location.reload();
    };
  });
})();
