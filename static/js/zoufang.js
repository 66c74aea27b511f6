// Small behaviours; everything else is plain HTML + htmx. Pages carry no inline
// script or on…= handler (the content security policy forbids them): a page
// asks for a behaviour with a data- attribute, and it is wired here.
(function () {
  "use strict";

  // A <select data-autosubmit> sends its form when it changes (the language switch).
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  // A page that opens at a part of itself (#item-3, after an action there)
  // shows its messages there, not out of sight at the top; a page sent back
  // with a refusal opens at the form that was refused ([data-scroll-here]).
  document.addEventListener("DOMContentLoaded", function () {
    var here = document.querySelector("[data-scroll-here]");
    if (here) {
      here.scrollIntoView({ block: "center" });
      var field = here.querySelector(".is-invalid, [aria-invalid=true]");
      if (field) field.focus({ preventScroll: true });
      return;
    }
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    var alerts = document.querySelectorAll("main > .alert");
    if (!target || !alerts.length) return;
    for (var i = 0; i < alerts.length; i++) target.parentNode.insertBefore(alerts[i], target);
    alerts[0].scrollIntoView();
  });

  // A <button data-print> prints the page (the bulletin).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // data-width="42" sets a bar's width to 42% (the import progress, which htmx
  // swaps in every second): a style set from script is not an inline style.
  function widths(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-width]") : [];
    for (var i = 0; i < bars.length; i++) bars[i].style.width = bars[i].getAttribute("data-width") + "%";
    if (root.hasAttribute && root.hasAttribute("data-width")) root.style.width = root.getAttribute("data-width") + "%";
  }
  if (window.htmx) window.htmx.onLoad(widths);
  else document.addEventListener("DOMContentLoaded", function () { widths(document); });

  // "Add another issue": clone the formset's empty form with the next index.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-formset-add]");
    if (!add) return;
    event.preventDefault();
    var prefix = add.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty-form");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    document.getElementById(prefix + "-forms").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = document.querySelector("#" + prefix + "-forms [data-form-index='" + index + "'] input, #" + prefix + "-forms [data-form-index='" + index + "'] select");
    if (first) first.focus();
  });

  // The dispatch desk lists every unit once (the bulk drop-down); a row's
  // drop-down, holding its suggestions, takes a copy when first opened.
  function moreUnits(event) {
    var select = event.target.closest && event.target.closest("select[data-more-units]");
    if (!select || select.hasAttribute("data-more-filled")) return;
    select.setAttribute("data-more-filled", "");
    var source = document.querySelector(select.getAttribute("data-more-units"));
    if (!source) return;
    var present = {};
    Array.prototype.forEach.call(select.options, function (option) { present[option.value] = true; });
    var group = document.createElement("optgroup");
    group.label = select.getAttribute("data-more-label") || "";
    Array.prototype.forEach.call(source.options, function (option) {
      if (option.value && !present[option.value]) group.appendChild(option.cloneNode(true));
    });
    Array.prototype.forEach.call(group.children, function (option) { option.selected = false; });
    select.appendChild(group);
  }
  document.addEventListener("focusin", moreUnits);
  document.addEventListener("mousedown", moreUnits);
  document.addEventListener("touchstart", moreUnits, { passive: true });

  // Participants: a search result becomes a chip carrying a hidden input.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-participant-id]");
    if (pick) {
      event.preventDefault();
      var id = pick.getAttribute("data-participant-id");
      var box = document.getElementById("participant-chips");
      if (!box.querySelector("input[value='" + id + "']")) {
        var chip = document.createElement("span");
        chip.className = "zf-chip";
        chip.setAttribute("data-chip", id);
        chip.textContent = pick.getAttribute("data-participant-name") + " ";
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "participants"; input.value = id;
        var remove = document.createElement("button");
        remove.type = "button"; remove.setAttribute("data-chip-remove", ""); remove.setAttribute("aria-label", (box.getAttribute("data-remove-label") || "×") + " " + pick.getAttribute("data-participant-name"));
        remove.innerHTML = "&times;";
        chip.appendChild(input); chip.appendChild(remove);
        box.appendChild(chip);
      }
      var results = document.getElementById("participant-results");
      if (results) results.innerHTML = "";
      var search = document.getElementById("participant-search");
      if (search) { search.value = ""; search.focus(); }
      return;
    }
    var remove = event.target.closest("[data-chip-remove]");
    if (remove) {
      event.preventDefault();
      remove.closest("[data-chip]").remove();
    }
  });
})();
