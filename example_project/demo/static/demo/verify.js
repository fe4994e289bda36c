// "Verify me" form: show the action and colour choices only for the modes that use them.
// Without JavaScript every field shows, and the library ignores what a mode does not use.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  if (!form) return;
  var mode = form.elements.mode;
  var uses = { actions: /action/, colors: /flash/ };
  function update() {
    Object.keys(uses).forEach(function (name) {
      var box = form.querySelector('[data-field="' + name + '"]');
      if (box) box.hidden = !uses[name].test(mode.value);
    });
  }
  mode.addEventListener("change", update);
  update();
})();
