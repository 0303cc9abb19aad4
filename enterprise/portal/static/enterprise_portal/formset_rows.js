// "Add a row" on the portal's rows page: a copy of the formset's empty form (a <template>), its
// __prefix__ replaced by the next index, and the management form's TOTAL_FORMS counted up.
// Without JavaScript the page still shows the formset's blank rows, if it has any.
(function () {
  "use strict";
  function addRow(button) {
    var section = button.closest("[data-formset-prefix]");
    var prefix = section.getAttribute("data-formset-prefix");
    var total = section.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var index = parseInt(total.value, 10);
    var template = section.querySelector("template.empty-row");
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var row = holder.firstElementChild;
    section.querySelector(".formset-rows").appendChild(row);
    total.value = String(index + 1);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.add-row");
    if (button) { event.preventDefault(); addRow(button); }
  });
})();
