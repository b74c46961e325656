/* Page behaviours declared with data- attributes, so no page needs inline script
   (the Content-Security-Policy allows scripts from 'self' only). No build step.
   - data-confirm="question" on a form (submit) or a button (click): ask first.
   - data-autosubmit on a select: submit its form when it changes.
   - data-once on a form: a second submit is ignored and the button disabled.
   - data-action-prefix="/path/" on a form with a field named by data-action-field:
     the form goes to prefix + the field's value (URL-encoded).
   - data-back on a link: go back in history. */
(function () {
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!(f instanceof HTMLFormElement)) return;
    if (f.dataset.confirm && !window.confirm(f.dataset.confirm)) { e.preventDefault(); return; }
    if (f.dataset.actionPrefix) {
      var field = f.elements[f.dataset.actionField || "sku"];
      f.action = f.dataset.actionPrefix + encodeURIComponent(field ? field.value : "");
    }
    if (f.hasAttribute("data-once")) {
      if (f.dataset.sent) { e.preventDefault(); return; }
      f.dataset.sent = "1";
      var b = f.querySelector("button[type=submit]");
      if (b) setTimeout(function () { b.disabled = true; }, 0);
    }
  }, true);
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-confirm],[data-back]") : null;
    if (!el || el.tagName === "FORM") return;
    if (el.hasAttribute("data-back")) { e.preventDefault(); window.history.back(); return; }
    if (!window.confirm(el.dataset.confirm)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("change", function (e) {
    var s = e.target;
    if (s && s.hasAttribute && s.hasAttribute("data-autosubmit") && s.form) {
      if (s.form.requestSubmit) s.form.requestSubmit(); else s.form.submit();
    }
  });
})();
