// Story form: show only the characters of the chosen categories (or of none).
// The server checks the same rule; without JavaScript every character is listed.
(function () {
  "use strict";
  document.querySelectorAll("select[data-character-filter]").forEach(function (characters) {
    var categories = document.getElementById(characters.dataset.characterFilter);
    if (!categories) return;
    function update() {
      var chosen = Array.from(categories.selectedOptions).map(function (o) { return o.value; });
      Array.from(characters.options).forEach(function (option) {
        var own = (option.dataset.categories || "").split(" ").filter(Boolean);
        var fits = own.length === 0 || own.some(function (id) { return chosen.indexOf(id) !== -1; });
        option.hidden = !fits && !option.selected;
      });
    }
    categories.addEventListener("change", update);
    update();
  });
})();
