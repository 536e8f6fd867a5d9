// Type-to-search pickers: typing asks the lookup endpoint for at most 20 matches; choosing
// one adds it as a ticked checkbox (as the page renders chosen entries) and clears the text.
// Without this script, the typed name is matched on submit.
(() => {
  const DELAY_MS = 200;

  function setUp(picker) {
    const input = picker.querySelector('input[type="text"]');
    const results = picker.querySelector(".picker-results");
    const chosen = picker.querySelector(".picker-chosen");
    const name = picker.dataset.name;
    let timer = null;
    let active = -1;
    let latest = 0;

    function close() {
      results.hidden = true;
      results.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    const single = picker.hasAttribute("data-single");

    // A form field (data-single): the hidden input carries the id, the text field the name.
    function chooseOne(item) {
      let hidden = picker.querySelector("[data-picker-id]");
      if (!hidden) {
        hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = name;
        hidden.setAttribute("data-picker-id", "");
        picker.prepend(hidden);
      }
      picker.querySelectorAll(".picker-choices").forEach((choices) => choices.remove());
      hidden.value = item.id;
      input.value = item.name;
      close();
    }

    function choose(item) {
      if (single) {
        chooseOne(item);
        return;
      }
      if (!chosen.querySelector(`input[value="${item.id}"]`)) {
        const entry = document.createElement("li");
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.name = name;
        box.value = item.id;
        box.checked = true;
        label.append(box, " " + item.name);
        entry.append(label);
        chosen.append(entry);
      }
      input.value = "";
      close();
      input.focus();
    }

    function show(items) {
      results.replaceChildren();
      items.forEach((item, index) => {
        const option = document.createElement("li");
        option.setAttribute("role", "option");
        option.id = `${results.id}-${index}`;
        option.textContent = item.name;
        if (item.detail) {
          const detail = document.createElement("span");
          detail.className = "count";
          detail.textContent = item.detail;
          option.append(detail);
        }
        const count = document.createElement("span");
        count.className = "count";
        count.textContent = `(${item.activities})`;
        option.append(count);
        option.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(item);
        });
        option.item = item;
        results.append(option);
      });
      results.hidden = items.length === 0;
      input.setAttribute("aria-expanded", String(items.length > 0));
      active = -1;
    }

    // An empty query asks for the most used entries (offered when the field gets focus).
    async function search() {
      const query = input.value.trim();
      const asked = ++latest;
      const url = `${picker.dataset.lookupUrl}?q=${encodeURIComponent(query)}`;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        // Matches arriving after the user left the field would cover the fields below it.
        if (!response.ok || asked !== latest || document.activeElement !== input) return;
        show((await response.json()).results);
      } catch {
        close(); // offline: the typed name is still matched on submit
      }
    }

    function highlight(index) {
      const options = results.querySelectorAll("li");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach((option, position) =>
        option.setAttribute("aria-selected", String(position === active)),
      );
      input.setAttribute("aria-activedescendant", options[active].id);
    }

    input.addEventListener("focus", () => {
      if (!input.value.trim()) search();
    });
    input.addEventListener("input", () => {
      if (single) {
        const hidden = picker.querySelector("[data-picker-id]");
        if (hidden) hidden.value = ""; // a typed name is matched on submit unless chosen
      }
      clearTimeout(timer);
      timer = setTimeout(search, DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (results.hidden) return;
      if (event.key === "ArrowDown") highlight(active + 1);
      else if (event.key === "ArrowUp") highlight(active - 1);
      else if (event.key === "Escape") close();
      else if (event.key === "Enter" && active >= 0) choose(results.children[active].item);
      else return;
      event.preventDefault();
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
  }

  // Rows the event form adds in place (static/js/event_form.js) bring new pickers.
  function setUpWithin(root) {
    root.querySelectorAll("[data-picker]:not([data-picker-ready])").forEach((picker) => {
      picker.setAttribute("data-picker-ready", "");
      setUp(picker);
    });
  }

  window.setUpPickers = setUpWithin;
  setUpWithin(document);
})();
