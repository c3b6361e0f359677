// Small behaviours for every page: toasts, confirmations, copy buttons.
// No framework; htmx does the requests.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var close = event.target.closest(".toast-close");
    if (close) close.closest(".toast").remove();
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy")).then(function () {
        var label = copy.textContent;
        copy.textContent = "Copied";
        setTimeout(function () { copy.textContent = label; }, 1500);
      });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  }, true);

  // Any failed htmx request shows a toast: never a silent failure.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Retarget")) return; // the server sent its own toast
    toast("Something went wrong", "The server answered " + (xhr ? xhr.status : "nothing") + ". Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("You seem to be offline", "Nothing was lost. Check the connection and try again.");
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    // Error fragments addressed to the toast region are swapped even on 4xx/5xx.
    if (event.detail.xhr.getResponseHeader("HX-Retarget") === "#toasts") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function toast(title, message) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var box = document.createElement("div");
    box.className = "toast toast-error";
    box.setAttribute("role", "alert");
    var strong = document.createElement("strong");
    strong.textContent = title;
    var span = document.createElement("span");
    span.textContent = message;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "toast-close";
    button.setAttribute("aria-label", "Dismiss");
    button.textContent = "×";
    box.append(strong, span, button);
    region.append(box);
    setTimeout(function () { box.remove(); }, 8000);
  }
  window.revueToast = toast;

  // A link to a heading (#decide, #record-approval…) scrolls it clear of the sticky top bar, however tall the
  // bar wraps on a phone (revue.css: scroll-padding-top). A page opened at such a link may have gone there
  // before the bar was measured: it goes there again once.
  var bar = document.querySelector(".topbar"), arrived = false;
  if (bar && window.ResizeObserver) {
    new ResizeObserver(function () {
      document.documentElement.style.setProperty("--topbar-h", bar.offsetHeight + "px");
      var target = !arrived && location.hash.length > 1 && document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
      arrived = true;
    }).observe(bar);
  }
})();

// Success messages of htmx writes arrive as an HX-Trigger event.
document.body && document.body.addEventListener("revue:toast", function (event) {
  var region = document.getElementById("toasts");
  if (!region || !event.detail || !event.detail.message) return;
  var box = document.createElement("div");
  box.className = "toast";
  box.setAttribute("role", "status");
  var span = document.createElement("strong");
  span.textContent = event.detail.message;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "toast-close";
  button.setAttribute("aria-label", "Dismiss");
  button.textContent = "×";
  box.append(span, button);
  region.append(box);
  setTimeout(function () { box.remove(); }, 4000);
});

document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button && !button.closest("form")) { event.preventDefault(); window.print(); }
});

// Never swap a panel away while its decision form is open.
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail.elt;
  if (elt.id === "panel" && elt.querySelector(".decide details[open], .inline-details[open]")) event.preventDefault();
});
