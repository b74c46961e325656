/* Dashboard trend chart: draws the figures the server put in data-chart (cumulative sales by day of
   month, this month and last month) with the vendored Chart.js. No data is fetched here. */
(function () {
  function draw() {
    var el = document.getElementById("trend-chart");
    if (!el || !window.Chart) return;
    var d = JSON.parse(el.getAttribute("data-chart"));
    var money = new Intl.NumberFormat(document.documentElement.lang || undefined,
      { style: "currency", currency: d.currency, maximumFractionDigits: 0 });
    new window.Chart(el, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: [
          { label: d.names["this"], data: d["this"].map(Number), borderColor: "#c8102e",
            backgroundColor: "rgba(200,16,46,.08)", fill: true, tension: .25, pointRadius: 0, borderWidth: 2.5 },
          { label: d.names.last, data: d.last.map(Number), borderColor: "#9ca3af", borderDash: [5, 4],
            fill: false, tension: .25, pointRadius: 0, borderWidth: 2 }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + money.format(c.parsed.y); } } } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return money.format(v); } } },
                  x: { grid: { display: false } } }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
