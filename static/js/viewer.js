// The annotation layer of the viewer: zoom and pan, pins, areas, drawings, video and audio
// time, PDF pages, and the links between marks and the comment panel. Vanilla JS, no build.
// Marks are positioned in fractions (0–1) of the artboard, so they stay on the same spot of the
// artwork at every window size and zoom. htmx swaps the panel and the marks; this file re-binds.
(function () {
  "use strict";

  var stage = document.getElementById("stage");
  if (!stage) return;
  var kind = stage.dataset.kind;
  var canComment = stage.dataset.canComment === "1";
  var canvas = stage.querySelector(".canvas");
  var player = document.getElementById("player");
  var composer = document.getElementById("pin-composer");
  var general = document.getElementById("general-composer");
  var fps = player ? parseFloat(player.dataset.fps || "0") : 0;

  var state = { tool: "pin", scale: null, fit: 1, panX: 0, panY: 0, page: 1, draft: null, cursor: null };
  var MIN_SCALE = 0.05, MAX_SCALE = 8;

  // ---- geometry ------------------------------------------------------------------------

  function board() { return stage.querySelector(".artboard:not(.is-hidden)"); }

  function naturalSize(b) {
    var w = parseFloat(b.dataset.w), h = parseFloat(b.dataset.h);
    var media = b.querySelector("img, video");
    if (!(w > 0 && h > 0) && media) {
      w = media.naturalWidth || media.videoWidth || 1600;
      h = media.naturalHeight || media.videoHeight || 900;
    }
    return { w: w || 1600, h: h || 900 };
  }

  function current() { return state.scale === null ? state.fit : state.scale; }

  // The visible artboard is placed by its top-left corner: centred in the stage, moved by the pan.
  // (Not by CSS centring: a grid or flex box stops centring what is bigger than itself.)
  function place() {
    var b = board();
    if (!b || !canvas) return;
    var size = naturalSize(b), scale = current();
    var x = (stage.clientWidth - size.w * scale) / 2 + state.panX, y = (stage.clientHeight - size.h * scale) / 2 + state.panY;
    canvas.style.transform = "translate(" + x + "px," + y + "px)";
  }

  function layout() {
    var b = board();
    if (!b || !canvas) return;
    var size = naturalSize(b);
    var room = { w: Math.max(stage.clientWidth - 32, 50), h: Math.max(stage.clientHeight - 32, 50) };
    state.fit = Math.min(room.w / size.w, room.h / size.h);
    if (kind === "video") state.fit = Math.min(state.fit, 4);
    var scale = current();
    stage.querySelectorAll(".artboard").forEach(function (each) {
      var s = naturalSize(each);
      each.style.width = s.w * scale + "px";
      each.style.height = s.h * scale + "px";
    });
    if (state.scale === null) { state.panX = 0; state.panY = 0; }
    place();
    var label = document.querySelector(".zoom-label");
    var original = parseFloat(stage.dataset.originalWidth || "0") || size.w;
    if (label) label.textContent = Math.round((scale * size.w * 100) / original) + "%";
    stage.classList.toggle("is-zoomed", state.scale !== null && state.scale > state.fit * 1.01);
  }

  // A point of the stage (client coordinates) and the spot of the artwork under it, in fractions
  // (outside 0–1 beside the artwork): what zooming keeps in place.
  function spotAt(clientX, clientY) {
    var s = stage.getBoundingClientRect(), r = board().getBoundingClientRect();
    return { at: { x: clientX - s.left, y: clientY - s.top },
      f: { x: (clientX - r.left) / r.width, y: (clientY - r.top) / r.height } };
  }

  function middle() {
    var s = stage.getBoundingClientRect();
    return spotAt(s.left + s.width / 2, s.top + s.height / 2);
  }

  // Show the artwork at `next` with `spot.f` under `spot.at`: under the cursor, between the fingers,
  // or in the middle of the stage for the buttons and keys.
  function setScale(next, spot) {
    var b = board();
    if (!b) return;
    spot = spot || middle();
    next = Math.min(Math.max(next, MIN_SCALE, state.fit * 0.5), MAX_SCALE);
    var size = naturalSize(b);
    state.scale = next;
    state.panX = spot.at.x - spot.f.x * size.w * next - (stage.clientWidth - size.w * next) / 2;
    state.panY = spot.at.y - spot.f.y * size.h * next - (stage.clientHeight - size.h * next) / 2;
    layout();
  }

  function zoom(action) {
    var next = { "in": current() * 1.25, "out": current() / 1.25 }[action];
    if (next && Math.abs(next - state.fit) > 0.001) setScale(next);
    else if (next || action === "fit") { state.scale = null; layout(); }  // (back) to fit: centred
    else if (action === "actual") {
      var b = board();
      var original = parseFloat(stage.dataset.originalWidth || "0");
      setScale(original && b ? original / naturalSize(b).w : 1);
    }
  }

  function fractionAt(event, b) {
    var rect = b.getBoundingClientRect();
    return { x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) };
  }

  function clamp(v) { return Math.min(Math.max(v, 0), 1); }
  function round(v) { return Math.round(v * 100000) / 100000; }

  // ---- marks ---------------------------------------------------------------------------

  function placeMarks(root) {
    (root || stage).querySelectorAll(".pin, .region").forEach(function (el) {
      el.style.left = parseFloat(el.dataset.x) * 100 + "%";
      el.style.top = parseFloat(el.dataset.y) * 100 + "%";
      if (el.classList.contains("region")) {
        el.style.width = parseFloat(el.dataset.w) * 100 + "%";
        el.style.height = parseFloat(el.dataset.h) * 100 + "%";
      }
    });
    var duration = player ? (player.duration || parseFloat(player.dataset.duration || "0")) : 0;
    document.querySelectorAll(".markers .marker").forEach(function (el) {
      if (duration) el.style.left = (100 * parseFloat(el.dataset.t)) / duration + "%";
    });
    syncTimeMarks();
  }

  function syncTimeMarks() {
    if (!player || kind !== "video") return;
    var now = player.currentTime;
    stage.querySelectorAll("[data-t]").forEach(function (el) {
      var t = parseFloat(el.dataset.t);
      el.classList.toggle("is-off", Math.abs(now - t) > 0.6 && !el.classList.contains("is-draft"));
    });
  }

  function highlight(id, scroll) {
    document.querySelectorAll(".is-focused").forEach(function (el) { el.classList.remove("is-focused"); });
    if (!id) return;
    document.querySelectorAll('[data-comment="' + id + '"]').forEach(function (el) { el.classList.add("is-focused"); });
    var thread = document.getElementById("c" + id);
    if (thread && scroll) thread.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function showComment(id) {
    var thread = document.getElementById("c" + id);
    if (!thread) return;
    if (thread.dataset.page) goToPage(parseInt(thread.dataset.page, 10));
    if (thread.dataset.t && player) seek(parseFloat(thread.dataset.t));
    highlight(id, true);
    var pin = stage.querySelector('.pin[data-comment="' + id + '"]');  // zoomed in: the pin comes to the middle
    if (pin && state.scale !== null) setScale(state.scale, { at: middle().at, f: { x: parseFloat(pin.dataset.x), y: parseFloat(pin.dataset.y) } });
  }

  // ---- drafting a new mark ---------------------------------------------------------------

  function marksOf(b) { return b.querySelector(".marks"); }

  function clearDraft() {
    document.querySelectorAll(".is-draft").forEach(function (el) { el.remove(); });
    state.draft = null;
  }

  function draftPin(b, point) {
    clearDraft();
    var pin = document.createElement("span");
    pin.className = "pin is-draft";
    pin.dataset.x = point.x; pin.dataset.y = point.y;
    pin.textContent = "+";
    marksOf(b).append(pin);
    placeMarks(b);
    return pin;
  }

  function draftRegion(b, a, c) {
    var el = b.querySelector(".region.is-draft");
    if (!el) { el = document.createElement("span"); el.className = "region is-draft"; marksOf(b).append(el); }
    el.dataset.x = Math.min(a.x, c.x); el.dataset.y = Math.min(a.y, c.y);
    el.dataset.w = Math.abs(c.x - a.x); el.dataset.h = Math.abs(c.y - a.y);
    placeMarks(b);
  }

  function draftShape(b, points, arrow) {
    var svg = b.querySelector("svg.shapes");
    var el = svg.querySelector(".is-draft");
    if (!el) {
      el = document.createElementNS("http://www.w3.org/2000/svg", arrow ? "line" : "polyline");
      el.setAttribute("class", "mark-shape is-draft");
      if (arrow) el.setAttribute("marker-end", "url(#arrowhead)");
      svg.append(el);
    }
    if (arrow) {
      var p = points[0], q = points[points.length - 1];
      el.setAttribute("x1", p.x * 1000); el.setAttribute("y1", p.y * 1000);
      el.setAttribute("x2", q.x * 1000); el.setAttribute("y2", q.y * 1000);
    } else {
      el.setAttribute("points", points.map(function (p) { return p.x * 1000 + "," + p.y * 1000; }).join(" "));
    }
  }

  function openComposer(anchor, near) {
    if (!composer) return;
    if (player && (kind === "video" || kind === "audio")) {
      player.pause();
      anchor.t = round(player.currentTime);
    }
    if (kind === "pdf") anchor.page = state.page;
    state.draft = anchor;
    composer.querySelector("[name=anchor]").value = JSON.stringify(anchor);
    composer.hidden = false;
    var wrap = stage.closest(".stage-wrap").getBoundingClientRect();
    var left = near ? (near.right || near.left) - wrap.left + 8 : 24, top = near ? near.top - wrap.top : 24;  // beside the mark
    left = Math.min(Math.max(left, 8), Math.max(wrap.width - composer.offsetWidth - 8, 8));
    top = Math.min(Math.max(top, 8), Math.max(wrap.height - composer.offsetHeight - 8, 8));
    composer.style.left = left + "px";
    composer.style.top = top + "px";
    // After the click that follows a tap, or the stage would take the focus back.
    setTimeout(function () { composer.querySelector("textarea").focus(); }, 0);
  }

  function closeComposer() {
    if (!composer) return;
    composer.hidden = true;
    composer.reset();  // the text, and "Internal": every comment's audience is chosen afresh
    clearDraft();
    stage.focus({ preventScroll: true });
  }

  // ---- pointer input ---------------------------------------------------------------------

  var pointers = new Map();
  var gesture = null;

  stage.addEventListener("pointerdown", function (event) {
    var b = board();
    if (!b || event.button > 1) return;
    if (event.target.closest(".pin:not(.is-draft)")) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 2) { // pinch: the spot between the fingers stays between them, also when they slide
      var pts = Array.from(pointers.values()), mid = halfway(pts);
      gesture = { type: "pinch", dist: distance(pts[0], pts[1]), scale: current(), f: spotAt(mid.x, mid.y).f };
      clearDraft();
      return;
    }
    var onArt = event.target.closest(".artboard");
    var drawing = canComment && onArt && state.tool !== "pin" && event.button === 0 && !event.shiftKey;
    gesture = { type: drawing ? state.tool : "tap", start: { x: event.clientX, y: event.clientY },
      from: onArt ? fractionAt(event, b) : null, points: onArt ? [fractionAt(event, b)] : [],
      panX: state.panX, panY: state.panY, moved: false, onArt: !!onArt };
    stage.setPointerCapture(event.pointerId);
  });

  stage.addEventListener("pointermove", function (event) {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    var b = board();
    if (gesture.type === "pinch") { // (one finger left after a pinch: nothing until it lifts)
      if (pointers.size !== 2) return;
      var pts = Array.from(pointers.values()), mid = halfway(pts);
      setScale(gesture.scale * distance(pts[0], pts[1]) / gesture.dist, { at: spotAt(mid.x, mid.y).at, f: gesture.f });
      return;
    }
    var dx = event.clientX - gesture.start.x, dy = event.clientY - gesture.start.y;
    if (Math.abs(dx) + Math.abs(dy) > 5) gesture.moved = true;
    if (!gesture.moved) return;
    if (gesture.type === "tap") { // drag pans
      state.panX = gesture.panX + dx; state.panY = gesture.panY + dy;
      if (state.scale === null) state.scale = state.fit;
      place();
    } else if (gesture.type === "region") {
      draftRegion(b, gesture.from, fractionAt(event, b));
    } else if (gesture.type === "freehand" || gesture.type === "arrow") {
      gesture.points.push(fractionAt(event, b));
      if (gesture.points.length > 400) gesture.points.splice(1, 1);
      draftShape(b, gesture.points, gesture.type === "arrow");
    }
  });

  function endPointer(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    if (!gesture) return;
    if (gesture.type === "pinch") { if (pointers.size === 0) gesture = null; return; }
    var b = board(), g = gesture;
    gesture = null;
    if (!b || event.type === "pointercancel") { clearDraft(); return; }
    var end = fractionAt(event, b);
    if (g.type === "tap" && !g.moved && g.onArt && canComment) {
      var pin = draftPin(b, end);
      openComposer({ type: "pin", x: round(end.x), y: round(end.y) }, pin.getBoundingClientRect());
    } else if (g.type === "region" && g.moved) {
      var x = Math.min(g.from.x, end.x), y = Math.min(g.from.y, end.y);
      var w = Math.abs(end.x - g.from.x), h = Math.abs(end.y - g.from.y);
      if (w < 0.005 || h < 0.005) { clearDraft(); return; }
      openComposer({ type: "region", x: round(x), y: round(y), w: round(w), h: round(h) },
        b.querySelector(".region.is-draft").getBoundingClientRect());
    } else if ((g.type === "freehand" || g.type === "arrow") && g.moved && g.points.length > 1) {
      var points = g.points.map(function (p) { return [round(p.x), round(p.y)]; });
      openComposer({ type: "shape", shape: g.type, points: points }, { left: event.clientX, top: event.clientY });
    } else if (g.type !== "tap") {
      clearDraft();
    }
  }
  stage.addEventListener("pointerup", endPointer);
  stage.addEventListener("pointercancel", endPointer);

  function distance(a, b) { return Math.hypot(a.x - b.x, a.y - b.y) || 1; }
  function halfway(pts) { return { x: (pts[0].x + pts[1].x) / 2, y: (pts[0].y + pts[1].y) / 2 }; }

  stage.addEventListener("wheel", function (event) {
    if (!board() || kind === "video") return;
    event.preventDefault();
    setScale(current() * Math.exp(-event.deltaY * (event.ctrlKey ? 0.01 : 0.0015)), spotAt(event.clientX, event.clientY));
  }, { passive: false });

  // ---- keyboard --------------------------------------------------------------------------

  stage.addEventListener("keydown", function (event) {
    var b = board();
    if (event.target !== stage || !b) return;
    var key = event.key;
    if (state.cursor) { // placing a pin by keyboard
      var step = event.shiftKey ? 0.1 : 0.01;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[key]) {
        state.cursor.x = clamp(state.cursor.x + moves[key][0]);
        state.cursor.y = clamp(state.cursor.y + moves[key][1]);
        draftPin(b, state.cursor);
        event.preventDefault();
        return;
      }
      if (key === "Enter") {
        var at = state.cursor; state.cursor = null;
        var pin = draftPin(b, at);
        openComposer({ type: "pin", x: round(at.x), y: round(at.y) }, pin.getBoundingClientRect());
        event.preventDefault();
        return;
      }
      if (key === "Escape") { state.cursor = null; clearDraft(); event.preventDefault(); return; }
    }
    if (key === "Enter" && canComment && kind !== "audio") {
      state.cursor = { x: 0.5, y: 0.5 };
      draftPin(b, state.cursor);
      announce("Pin placed in the middle. Move it with the arrow keys, Shift for bigger steps, Enter to write the comment.");
      event.preventDefault();
    } else if (key === "+" || key === "=") { zoom("in"); event.preventDefault(); }
    else if (key === "-") { zoom("out"); event.preventDefault(); }
    else if (key === "0") { zoom("fit"); event.preventDefault(); }
    else if (key === "1") { zoom("actual"); event.preventDefault(); }
    else if (/^[prda]$/i.test(key) && !event.ctrlKey && !event.metaKey) {
      setTool({ p: "pin", r: "region", d: "freehand", a: "arrow" }[key.toLowerCase()]);
    } else if (state.scale !== null && /^Arrow/.test(key)) {
      var d = 40;
      state.panX += key === "ArrowLeft" ? d : key === "ArrowRight" ? -d : 0;
      state.panY += key === "ArrowUp" ? d : key === "ArrowDown" ? -d : 0;
      layout();
      event.preventDefault();
    }
  });

  document.addEventListener("keydown", function (event) {
    var typing = /^(TEXTAREA|INPUT|SELECT)$/.test(event.target.tagName);
    if (typing) return;
    if (kind === "pdf" && (event.key === "PageDown" || event.key === "PageUp")) {
      goToPage(state.page + (event.key === "PageDown" ? 1 : -1));
      event.preventDefault();
    }
    if (player && event.target === stage || (player && event.target === document.body)) {
      if (event.key === " ") { togglePlay(); event.preventDefault(); }
      else if (event.key === ",") { step(-1); event.preventDefault(); }
      else if (event.key === ".") { step(1); event.preventDefault(); }
      else if (/^m$/i.test(event.key) && !event.ctrlKey && !event.metaKey) playerAction("mute");
      else if (/^f$/i.test(event.key) && kind === "video" && !event.ctrlKey && !event.metaKey) playerAction("fullscreen");
    }
  });

  var live = document.createElement("div");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  document.body.append(live);
  function announce(text) { live.textContent = text; }

  // ---- tools and composer ----------------------------------------------------------------

  function setTool(tool) {
    state.tool = tool;
    document.querySelectorAll("button[data-tool]").forEach(function (btn) {
      var on = btn.dataset.tool === tool;
      btn.classList.toggle("is-active", on);
      btn.setAttribute("aria-pressed", on ? "true" : "false");
    });
    stage.dataset.tool = tool;
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("button[data-tool],[data-zoom],[data-page-nav],[data-goto-page],[data-focus-comment],[data-seek],[data-player],[data-filter],.pin:not(.is-draft),.marker,[data-cancel]");
    if (!el) return;
    if (el.dataset.tool) setTool(el.dataset.tool);
    else if (el.dataset.zoom) zoom(el.dataset.zoom);
    else if (el.dataset.pageNav) goToPage(state.page + (el.dataset.pageNav === "next" ? 1 : -1));
    else if (el.dataset.gotoPage) goToPage(parseInt(el.dataset.gotoPage, 10));
    else if (el.dataset.focusComment) showComment(el.dataset.focusComment);
    else if (el.dataset.seek) { seek(parseFloat(el.dataset.seek)); }
    else if (el.dataset.player) playerAction(el.dataset.player);
    else if (el.dataset.filter) setFilter(el.dataset.filter);
    else if (el.hasAttribute("data-cancel")) closeComposer();
    else if (el.classList.contains("pin") || el.classList.contains("marker")) {
      if (el.classList.contains("marker")) seek(parseFloat(el.dataset.t));
      highlight(el.dataset.comment, true);
    }
  });

  document.addEventListener("mouseover", function (event) {
    var el = event.target.closest(".pin[data-comment], .thread[data-comment]");
    document.querySelectorAll(".is-hovered").forEach(function (x) { x.classList.remove("is-hovered"); });
    if (el) document.querySelectorAll('[data-comment="' + el.dataset.comment + '"]').forEach(function (x) { x.classList.add("is-hovered"); });
  });

  // Enter sends, Shift+Enter adds a line, Esc cancels.
  document.addEventListener("keydown", function (event) {
    var area = event.target.closest("textarea[data-enter-submits]");
    if (!area) return;
    var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches; // phones: Enter is a new line
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !touch) {
      event.preventDefault();
      if (area.value.trim()) area.form.requestSubmit();
    } else if (event.key === "Escape") {
      if (area.form === composer) closeComposer();
      else { area.value = ""; var d = area.closest("details"); if (d) d.open = false; }
    }
  });

  function timeAnchor() { return JSON.stringify({ type: "time", t: round(player.currentTime) }); }

  // htmx reads the form before "beforeRequest": the time of a general video/audio comment goes in here.
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt === general && player) event.detail.parameters.anchor = timeAnchor();
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt === composer || elt === general || elt.classList.contains("reply-form")) sent = { from: elt, after: idOf(lastComment()) };
    if (elt.id === "panel" && event.detail.requestConfig.verb === "get") {
      // Never replace the panel (and the marks) while someone is typing in it or placing a mark.
      // (An edit box starts out holding the comment: only what was typed since counts.)
      var busy = Array.prototype.some.call(elt.querySelectorAll("textarea"), function (t) {
        return t.value !== t.defaultValue || t === document.activeElement;
      }) || Array.prototype.some.call(elt.querySelectorAll("input[type=file]"), function (f) { return f.files.length; });
      if (busy || (composer && !composer.hidden) || gesture) event.preventDefault();
    }
  });

  document.body.addEventListener("htmx:afterRequest", function (event) {
    // A refusal (422 is "successful" to htmx: it swaps its toast) keeps what was typed and chosen.
    var elt = event.detail.elt, saved = event.detail.successful && event.detail.xhr.status < 400;
    if (saved && elt === composer) closeComposer();
    if (saved && elt === general) general.reset();
    if (!saved) sent = null;
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    placeMarks();
    applyFilter();
    var last = sent && lastComment();
    if (last && idOf(last) > sent.after) { arrived(last, sent.from); sent = null; }
  });

  // ---- a comment or reply just sent: briefly lit up where it landed in the panel ------------------

  var sent = null;  // { from: the form, after: the newest comment id on the page when it was sent }

  function idOf(li) { return li ? parseInt(li.id.slice(1), 10) : 0; }

  function lastComment() {
    var last = null;
    document.querySelectorAll("#panel li[id^=c]").forEach(function (li) { if (idOf(li) > idOf(last)) last = li; });
    return last;
  }

  function arrived(li, from) {
    if (li.closest("[hidden]")) setFilter("all");  // "Resolved" or "Mine" would hide it
    li.classList.add("is-new");
    li.addEventListener("animationend", function () { li.classList.remove("is-new"); }, { once: true });
    // A pin's comment on a phone: the page stays on the artwork, where the new pin shows it arrived.
    var panel = document.getElementById("panel");
    if (from !== composer || getComputedStyle(panel).overflowY !== "visible") li.scrollIntoView({ block: "nearest" });
  }

  // ---- attachments: the chosen files are listed (and can be taken out) before sending --------------

  // As the server's |filesize: tenths rounded up, so a file over the limit never reads as the limit itself.
  function fileSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    var mb = bytes * 10 > 10239 * 1024;
    return (Math.ceil((bytes * 10) / (mb ? 1048576 : 1024)) / 10).toFixed(1) + (mb ? " MB" : " KB");
  }

  function nameParts(el, name) { // the middle of a long name gives way (CSS), its end stays
    var cut = Math.max(name.length - 8, 0);
    [name.slice(0, cut), name.slice(cut)].forEach(function (text) {
      var part = document.createElement("span");
      part.textContent = text;
      el.append(part);
    });
    el.title = name;
  }

  function listFiles(input) {
    var list = input.form && input.form.querySelector("[data-attach-list]");
    if (!list) return;
    var files = Array.prototype.slice.call(input.files || []);
    var most = parseInt(input.dataset.maxFiles, 10), mb = parseFloat(input.dataset.maxMb);
    var problem = files.length > most ? "Attach at most " + most + " files to one comment." : "";
    list.replaceChildren();
    files.forEach(function (file, index) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "file-name";
      nameParts(name, file.name);
      var size = document.createElement("span");
      size.className = "file-size";
      size.textContent = fileSize(file.size);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.dataset.removeFile = index;
      remove.setAttribute("aria-label", "Don't attach " + file.name);
      if (file.size > mb * 1048576) {
        item.className = "is-bad";
        problem = problem || "“" + file.name + "” is larger than " + mb + " MB, the limit for an attachment.";
      }
      item.append(name, size, remove);
      list.append(item);
    });
    if (problem) {
      var note = document.createElement("li");
      note.className = "file-problem";
      note.textContent = problem;
      list.append(note);
    }
    input.setCustomValidity(problem);  // the form is not sent until it is fixed
    list.hidden = !files.length;
  }

  function dropFile(button) {
    var input = button.form.querySelector("input[data-attach]");
    var keep = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (file, index) {
      if (index !== parseInt(button.dataset.removeFile, 10)) keep.items.add(file);
    });
    input.files = keep.files;
    listFiles(input);
    input.focus();
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[data-attach]")) listFiles(event.target);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-file]");
    if (button) dropFile(button);
  });
  document.addEventListener("reset", function (event) {  // fired before the form is emptied
    var input = event.target.querySelector("input[data-attach]");
    if (input) setTimeout(function () { listFiles(input); }, 0);
  });

  // ---- pages -----------------------------------------------------------------------------

  function goToPage(n) {
    var boards = stage.querySelectorAll(".artboard");
    if (kind !== "pdf" || n < 1 || n > boards.length) return;
    state.page = n;
    boards.forEach(function (b) { b.classList.toggle("is-hidden", parseInt(b.dataset.page, 10) !== n); });
    var label = document.querySelector("[data-page-current]");
    if (label) label.textContent = n;
    document.querySelectorAll("[data-goto-page]").forEach(function (btn) {
      if (btn.closest(".page-thumbs")) btn.setAttribute("aria-current", parseInt(btn.dataset.gotoPage, 10) === n ? "true" : "false");
    });
    closeComposer();
    state.scale = null;
    layout();
  }

  // ---- video and audio -------------------------------------------------------------------

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function timecode(t) {
    t = Math.max(t || 0, 0);
    var whole = Math.floor(t);
    var text = pad(Math.floor(whole / 3600)) + ":" + pad(Math.floor(whole / 60) % 60) + ":" + pad(whole % 60);
    if (kind === "video" && fps) text += ":" + pad(Math.round((t - whole) * fps) % Math.round(fps));
    return text;
  }

  function seek(t) {
    if (!player) return;
    player.pause();
    player.currentTime = t;
    tick();
  }

  function togglePlay() { if (player) { if (player.paused) player.play(); else player.pause(); } }
  function step(frames) { if (player) { player.pause(); player.currentTime = Math.max(0, player.currentTime + frames / (fps || 25)); } }

  function playerAction(action) {
    if (action === "play") togglePlay();
    else if (action === "back") step(-1);
    else if (action === "fwd") step(1);
    else if (action === "mute" && (player.muted || !player.volume)) { player.muted = false; player.volume = player.volume || 1; }
    else if (action === "mute") player.muted = true;
    else if (action === "fullscreen") fullscreen();
  }

  // Full screen keeps the marks and the controls: the stage with its toolbar and transport, not the bare video.
  function fullscreen() {
    var wrap = stage.closest(".stage-wrap");
    if (document.fullscreenElement) document.exitFullscreen();
    else if (wrap.requestFullscreen) wrap.requestFullscreen().catch(function () {});
    else if (player.webkitEnterFullscreen) player.webkitEnterFullscreen();  // iPhone: only the video itself
  }

  function sound() {
    var mute = document.querySelector("[data-player=mute]"), volume = document.querySelector("[data-player=volume]");
    if (mute) mute.setAttribute("aria-pressed", player.muted || !player.volume ? "true" : "false");
    if (volume && document.activeElement !== volume) volume.value = player.muted ? 0 : player.volume;
  }

  function tick() {
    if (!player) return;
    var t = player.currentTime;
    var tc = document.querySelector("[data-timecode]");
    if (tc) tc.textContent = timecode(t);
    var range = document.querySelector("[data-player=seek]");
    if (range && document.activeElement !== range) range.value = t;
    var chip = document.querySelector("[data-current-time]");
    if (chip) chip.textContent = "at " + timecode(t);
    if (general) general.querySelector("[name=anchor]").value = timeAnchor();  // also for a post without htmx
    var head = document.querySelector(".waveform .playhead");
    var duration = player.duration || parseFloat(player.dataset.duration || "0");
    if (head && duration) head.style.left = (100 * t) / duration + "%";
    var play = document.querySelector("[data-player=play]");
    if (play) { play.textContent = player.paused ? "▶" : "❚❚"; play.setAttribute("aria-label", player.paused ? "Play" : "Pause"); }
    syncTimeMarks();
  }

  if (player) {
    ["timeupdate", "seeked", "play", "pause", "loadedmetadata"].forEach(function (type) { player.addEventListener(type, tick); });
    player.addEventListener("loadedmetadata", function () { placeMarks(); layout(); });
    var range = document.querySelector("[data-player=seek]");
    if (range) range.addEventListener("input", function () { player.currentTime = parseFloat(range.value); });
    player.addEventListener("volumechange", sound);
    var volume = document.querySelector("[data-player=volume]");
    if (volume) volume.addEventListener("input", function () { player.volume = parseFloat(volume.value); player.muted = !player.volume; });
    var speed = document.querySelector("[data-player=speed]");
    if (speed) speed.addEventListener("change", function () { player.playbackRate = parseFloat(speed.value); });
    document.addEventListener("fullscreenchange", function () {
      var button = document.querySelector("[data-player=fullscreen]");
      if (button) button.setAttribute("aria-pressed", document.fullscreenElement ? "true" : "false");
      layout();
    });
    var wave = document.querySelector(".waveform");
    if (wave) wave.addEventListener("click", function (event) {
      var rect = wave.getBoundingClientRect();
      var duration = player.duration || parseFloat(player.dataset.duration || "0");
      seek(clamp((event.clientX - rect.left) / rect.width) * duration);
    });
    var scrub = document.querySelector(".scrub[data-strip]");
    if (scrub) setupStrip(scrub);
  }

  function setupStrip(scrub) {
    var preview = scrub.querySelector(".strip-preview");
    var frames = parseInt(scrub.dataset.stripFrames, 10), interval = parseFloat(scrub.dataset.stripInterval);
    if (!frames || !interval) return;
    preview.style.backgroundImage = "url('" + scrub.dataset.strip + "')";
    scrub.addEventListener("pointermove", function (event) {
      var rect = scrub.getBoundingClientRect();
      var f = clamp((event.clientX - rect.left) / rect.width);
      var duration = player.duration || parseFloat(player.dataset.duration || "0");
      var index = Math.min(frames - 1, Math.floor((f * duration) / interval));
      preview.hidden = false;
      preview.style.left = f * 100 + "%";
      preview.style.backgroundSize = frames * 160 + "px 100%";
      preview.style.backgroundPosition = -index * 160 + "px 0";
    });
    scrub.addEventListener("pointerleave", function () { preview.hidden = true; });
  }

  // ---- panel filters -----------------------------------------------------------------------

  var FILTER_KEY = "revue.filter", SORT_KEY = "revue.sort";

  function setFilter(name) {
    sessionStorage.setItem(FILTER_KEY, name);
    applyFilter();
  }

  function applyFilter() {
    var name = sessionStorage.getItem(FILTER_KEY) || "all";
    document.querySelectorAll("[data-filter]").forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.filter === name ? "true" : "false"); });
    document.querySelectorAll(".thread").forEach(function (t) {
      var show = name === "all" || (name === "open" && t.dataset.resolved === "0") ||
        (name === "resolved" && t.dataset.resolved === "1") || (name === "mine" && t.dataset.mine === "1");
      t.hidden = !show;
    });
    var sort = sessionStorage.getItem(SORT_KEY) || "position";
    var select = document.querySelector("[data-sort]");
    if (select) {
      if (!select.querySelector('option[value="' + sort + '"]')) sort = "position";
      select.value = sort;
    }
    var list = document.querySelector("[data-threads]");
    if (!list) return;
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      if (sort === "newest") return b.dataset.created - a.dataset.created;
      if (sort === "time") return (parseFloat(a.dataset.t || "1e9") - parseFloat(b.dataset.t || "1e9")) || (a.dataset.number - b.dataset.number);
      return a.dataset.number - b.dataset.number;
    });
    items.forEach(function (item) { list.append(item); });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-sort]")) { sessionStorage.setItem(SORT_KEY, event.target.value); applyFilter(); }
  });

  // ---- start -------------------------------------------------------------------------------

  window.addEventListener("resize", layout);
  stage.querySelectorAll(".artboard img").forEach(function (img) { if (!img.complete) img.addEventListener("load", layout, { once: true }); });
  setTool("pin");
  layout();
  placeMarks();
  applyFilter();
  tick();
  if (location.hash && /^#c\d+$/.test(location.hash)) showComment(location.hash.slice(2));
  window.revueViewer = { layout: layout, goToPage: goToPage, seek: seek, state: state };
})();
