// Quản trị xã, the first assessment: the registered level is offered only among the levels of
// the chosen criteria set (the levels are grouped by set; the server checks it again). The
// page works without this script: every group is then shown.
(function () {
  "use strict";

  function sync(set, level) {
    const chosen = set.options[set.selectedIndex];
    const label = chosen ? chosen.text : "";
    Array.from(level.querySelectorAll("optgroup")).forEach(function (group) {
      const mine = group.label === label;
      group.hidden = !mine;
      group.disabled = !mine;
    });
    const selected = level.options[level.selectedIndex];
    if (selected && selected.parentElement.disabled) level.value = "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    const set = document.getElementById("id_criteria_set");
    const level = document.getElementById("id_target_level");
    if (!set || !level) return;
    set.addEventListener("change", function () { sync(set, level); });
    sync(set, level);
  });
})();
