// The ranking chart: data from the canvas's data-chart attribute (no inline script: the CSP allows 'self' only).
(function () {
  var canvas = document.getElementById("ranking-chart");
  if (!canvas || !window.Chart) return;
  var data = JSON.parse(canvas.getAttribute("data-chart"));
  new window.Chart(canvas, {
    type: "bar",
    data: {labels: data.labels, datasets: [{label: canvas.getAttribute("data-label"), data: data.values, backgroundColor: "#2563eb"}]},
    options: {indexAxis: "y", animation: false, maintainAspectRatio: false, plugins: {legend: {display: false}},
              scales: {x: {beginAtZero: true, suggestedMax: 100}}}
  });
})();
