// Small behaviours kept out of the pages so the content security policy can
// forbid inline scripts.
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// Actions that cannot be undone (approve, withdraw) ask first; the message is
// the form's data-confirm, written by the page in the user's language.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A live count of the characters typed in a field with data-count-max, so a
// pasted title that is too long is seen before saving (the server refuses it).
function updateCount(input) {
  var max = parseInt(input.getAttribute("data-count-max"), 10);
  var counter = document.getElementById(input.id + "-count");
  if (!counter) {
    counter = document.createElement("span");
    counter.id = input.id + "-count";
    counter.className = "char-count";
    counter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", counter);
  }
  var n = Array.from(input.value).length;
  var over = n - max;
  counter.textContent = over > 0
    ? input.getAttribute("data-count-over").replace("{over}", over)
    : input.getAttribute("data-count-text").replace("{n}", n).replace("{max}", max);
  counter.classList.toggle("over", over > 0);
}
document.addEventListener("input", function (event) {
  if (event.target.matches("[data-count-max]")) {
    updateCount(event.target);
  }
});

// The topic form: the categories, forms and bodies offered follow the chosen
// place (its level: township or village). The server refuses the others.
function followPlace(placeSelect) {
  var form = placeSelect.form;
  var chosen = placeSelect.options[placeSelect.selectedIndex];
  var level = chosen ? chosen.getAttribute("data-level") : "";
  var place = placeSelect.value;
  form.querySelectorAll("option[data-level], input[data-level]").forEach(function (el) {
    if (el.closest("select") === placeSelect) {
      return;
    }
    var fits = !level || el.getAttribute("data-level") === level;
    var row = el.tagName === "INPUT" ? el.closest("label") || el : el;
    row.hidden = !fits;
    el.disabled = !fits;
    if (!fits) {
      if (el.tagName === "OPTION") { el.selected = false; } else { el.checked = false; }
    }
  });
  form.querySelectorAll("option[data-place]").forEach(function (el) {
    var fits = !place || el.getAttribute("data-place") === place;
    el.hidden = !fits;
    el.disabled = !fits;
    if (!fits) { el.selected = false; }
  });
  form.querySelectorAll("optgroup").forEach(function (group) {
    group.hidden = !Array.from(group.children).some(function (o) { return !o.hidden; });
  });
}
document.addEventListener("change", function (event) {
  if (event.target.matches(".topic-form select[name=place]")) {
    followPlace(event.target);
  }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-count-max]").forEach(updateCount);
  document.querySelectorAll(".topic-form select[name=place]").forEach(followPlace);
});
