// The sell-through chart: bars from the canvas's data-chart JSON (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  var canvas = document.getElementById("sell-through-chart");
  if (!canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(canvas.getAttribute("data-chart") || "{}");
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels || [], datasets: [{ label: canvas.getAttribute("data-label") || "", data: data.qty || [], backgroundColor: "#c8102e" }] },
    options: { indexAxis: "y", responsive: true, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  canvas.setAttribute("data-ready", "1");
});
