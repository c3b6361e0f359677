// Positions the numbered pins on the printable page (CSP forbids inline styles) and prints.
(function () {
  "use strict";
  document.querySelectorAll(".pin[data-x]").forEach(function (pin) {
    pin.style.left = parseFloat(pin.dataset.x) * 100 + "%";
    pin.style.top = parseFloat(pin.dataset.y) * 100 + "%";
  });
  var button = document.querySelector("[data-print]");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
