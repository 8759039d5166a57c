// The review queue's "Chọn tất cả": ticks or clears every row's box of the bulk-approval form.
// Without JavaScript the rows are ticked one by one; the box itself is hidden until this runs.
(function () {
  "use strict";
  document.querySelectorAll("[data-check-all]").forEach(function (all) {
    const form = all.getAttribute("data-check-all");
    const boxes = function () {
      return Array.from(document.querySelectorAll('input[type="checkbox"][form="' + form + '"]'));
    };
    all.closest("[data-check-all-wrap]").classList.remove("d-none");
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
    });
    document.addEventListener("change", function (event) {
      if (event.target === all || event.target.getAttribute("form") !== form) return;
      const list = boxes();
      all.checked = list.length > 0 && list.every(function (box) { return box.checked; });
    });
  });
})();
