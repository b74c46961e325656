/* Admin layout behaviours (no inline script; CSP allows scripts from 'self' only).
   - [data-sidebar=collapse]: narrow the sidebar to icons (remembered in localStorage).
   - [data-sidebar=open|close]: the drawer on a phone; Escape closes it.
   - [data-bulk-all]: a header checkbox that ticks every [data-bulk] box of its form;
     [data-bulk-count] shows how many are ticked and bulk buttons are enabled only then. */
(function () {
  var KEY = "qd-nav-collapsed";
  try { if (localStorage.getItem(KEY) === "1") document.body.classList.add("nav-collapsed"); } catch (e) {}
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-sidebar]") : null;
    if (!el) return;
    var what = el.getAttribute("data-sidebar");
    if (what === "collapse") {
      var on = document.body.classList.toggle("nav-collapsed");
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (err) {}
    } else if (what === "open") {
      document.body.classList.add("nav-open");
    } else if (what === "close") {
      document.body.classList.remove("nav-open");
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") document.body.classList.remove("nav-open");
  });
  function boxesOf(form) {  // the form's own boxes and those tied to it with form="…"
    return Array.prototype.filter.call(form.elements, function (el) { return el.hasAttribute("data-bulk"); });
  }
  function refresh(form) {
    var boxes = boxesOf(form);
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) n++; });
    form.querySelectorAll("[data-bulk-count]").forEach(function (c) { c.textContent = c.getAttribute("data-bulk-count").replace("%n", n); });
    form.querySelectorAll("button[data-bulk-action]").forEach(function (b) { b.disabled = n === 0; });
  }
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || !t.form) return;
    if (t.hasAttribute("data-bulk-all")) {
      boxesOf(t.form).forEach(function (b) { b.checked = t.checked; });
    }
    if (t.hasAttribute("data-bulk-all") || t.hasAttribute("data-bulk")) refresh(t.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-bulk-form]").forEach(refresh);
  });
})();
