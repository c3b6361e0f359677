// @mention suggestions in the viewer's comment boxes: type "@" and a few letters, pick a person with
// the arrow keys and Enter (or Tab, or a click). The people come from the page (#mention-people): the
// project's team and the client contacts who can see this version; an internal comment offers the team
// only. Vanilla JS, no build; loaded before viewer.js so that Enter picks instead of sending.
(function () {
  "use strict";

  var data = document.getElementById("mention-people");
  if (!data) return;
  var people = JSON.parse(data.textContent);
  var MAX = 6;
  var list = document.createElement("ul");
  list.id = "mention-list";
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "People to mention");
  list.hidden = true;
  document.body.append(list);
  var area = null, start = 0, active = 0, shown = [];

  function query(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var found = /(^|[\s(])@([\w.-]{0,40})$/.exec(before);
    return found ? { at: before.length - found[2].length - 1, text: found[2].toLowerCase() } : null;
  }

  function matches(q, teamOnly) {
    return people.filter(function (p) {
      if (teamOnly && !p.team) return false;
      var name = p.name.toLowerCase();
      return !q || name.indexOf(q) === 0 || name.indexOf(" " + q) > -1 || p.handle.toLowerCase().indexOf(q) === 0;
    }).slice(0, MAX);
  }

  function close() {
    list.hidden = true;
    if (area) { area.setAttribute("aria-expanded", "false"); area.removeAttribute("aria-activedescendant"); }
    area = null;
  }

  function render() {
    list.replaceChildren.apply(list, shown.map(function (p, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === active ? "true" : "false");
      li.dataset.index = i;
      var name = document.createElement("strong");
      name.textContent = p.name;
      var handle = document.createElement("span");
      handle.textContent = "@" + p.handle + (p.team ? "" : " · client");
      li.append(name, handle);
      return li;
    }));
    area.setAttribute("aria-activedescendant", "mention-" + active);
  }

  function open(textarea, found) {
    var internal = textarea.form && textarea.form.querySelector("input[name=internal]:checked");
    shown = matches(found.text, !!internal);
    var complete = shown.some(function (p) { return p.handle.toLowerCase() === found.text; });
    if (!shown.length || complete) { close(); return; } // nothing to offer, or the name is written out
    area = textarea;
    start = found.at;
    active = Math.min(active, shown.length - 1);
    var box = textarea.getBoundingClientRect();
    list.style.left = Math.round(box.left) + "px";
    list.style.width = Math.round(Math.max(box.width, 220)) + "px";
    var below = window.innerHeight - box.bottom;
    list.style.top = below > 200 ? Math.round(box.bottom + 4) + "px" : "";
    list.style.bottom = below > 200 ? "" : Math.round(window.innerHeight - box.top + 4) + "px";
    list.hidden = false;
    textarea.setAttribute("aria-controls", list.id);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-expanded", "true");
    render();
  }

  function pick(i) {
    var person = shown[i], textarea = area;
    if (!person || !textarea) return;
    var end = textarea.selectionStart;
    var text = "@" + person.handle + " ";
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    close();
    textarea.focus();
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target.closest && event.target.closest("textarea[data-enter-submits]");
    if (!textarea) return;
    var found = query(textarea);
    if (found) { if (area !== textarea) active = 0; open(textarea, found); } else close();
  });

  // Capturing: runs before viewer.js's Enter-sends and Esc-cancels while the list is open.
  document.addEventListener("keydown", function (event) {
    if (!area || event.target !== area || list.hidden) return;
    var keys = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in keys) {
      active = (active + keys[event.key] + shown.length) % shown.length;
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      pick(active);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);

  list.addEventListener("mousedown", function (event) {
    var li = event.target.closest("li[role=option]");
    if (!li) return;
    event.preventDefault(); // keep the focus in the comment box
    pick(parseInt(li.dataset.index, 10));
  });

  document.addEventListener("focusout", function (event) { if (event.target === area) setTimeout(close, 150); });
  window.addEventListener("resize", close);
  document.addEventListener("htmx:beforeSwap", close);
})();
