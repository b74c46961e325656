/* Storefront: hide the "added to cart" toast after a few seconds. No build step. */
(function () {
  var timer = null;
  document.addEventListener("htmx:afterSwap", function (e) {
    var toast = document.getElementById("toast");
    if (!toast || e.detail.target !== toast) return;
    clearTimeout(timer);
    timer = setTimeout(function () { toast.innerHTML = ""; }, 3500);
  });
})();
