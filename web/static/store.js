/* Storefront behaviours (no inline script; CSP allows scripts from 'self' only). No build step.
   - the "added to cart" toast hides after a few seconds;
   - [data-stepper=-|+] inside .stepper[data-step][data-min]: −/+ by the order multiple, never
     below the first allowed quantity; a typed quantity is rounded up to a multiple on change;
   - #suggest closes on Escape or a click elsewhere;
   - [data-gallery-thumb] marks the picture shown. */
(function () {
  var timer = null;
  document.addEventListener("htmx:afterSwap", function (e) {
    var toast = document.getElementById("toast");
    if (!toast || e.detail.target !== toast) return;
    clearTimeout(timer);
    timer = setTimeout(function () { toast.innerHTML = ""; }, 3500);
  });
  document.body.addEventListener("cart-changed", function () {  // HX-Trigger from /cart/add
    var bar = document.getElementById("cart-bar");
    if (bar && window.htmx) window.htmx.ajax("GET", bar.getAttribute("data-refresh"), { target: "#cart-bar", swap: "innerHTML" })
      .then(function () { document.body.classList.toggle("no-cart-bar", !bar.querySelector(".bar")); });
  });
  function box(el) { return el.closest ? el.closest(".stepper") : null; }
  function fix(stepper, value) {
    var step = parseInt(stepper.getAttribute("data-step"), 10) || 1;
    var min = parseInt(stepper.getAttribute("data-min"), 10) || step;
    var n = parseInt(value, 10);
    if (isNaN(n) || n < min) n = min;
    return Math.ceil(n / step) * step;
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-stepper]") : null;
    if (b) {
      var s = box(b), input = s.querySelector("input");
      var step = parseInt(s.getAttribute("data-step"), 10) || 1;
      var now = fix(s, input.value);
      input.value = fix(s, b.getAttribute("data-stepper") === "+" ? now + step : now - step);
      input.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    var t = e.target.closest ? e.target.closest("[data-gallery-thumb]") : null;
    if (t) {
      document.querySelectorAll("[data-gallery-thumb]").forEach(function (a) { a.classList.remove("on"); });
      t.classList.add("on");
    }
    var sug = document.getElementById("suggest");
    if (sug && !e.target.closest("#suggest") && e.target.id !== "q") sug.innerHTML = "";
  });
  document.addEventListener("change", function (e) {
    var s = e.target && box(e.target);
    if (s && e.target.tagName === "INPUT") e.target.value = fix(s, e.target.value);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { var sug = document.getElementById("suggest"); if (sug) sug.innerHTML = ""; }
  });
})();
