// Live pages: follow /events and fetch the page again when what it shows changed.
// <main data-live="incidents|insights|incident:ID" data-live-after="MARK"> says what the page shows
// ("incident:ID" follows one incident; the others follow every incident) and which notice it was
// rendered after. What someone is typing is never thrown away: while a form on the page holds
// unsent input, or shows why a form was refused, the page says it changed instead of replacing itself.
(function () {
  "use strict";
  const main = document.getElementById("main");
  if (!main || !main.dataset.live || !window.EventSource) return;
  const follows = main.dataset.live;
  const notice = document.getElementById("live-notice");
  let fetching = false;
  let again = false;

  function concerns(ids) {
    if (!follows.startsWith("incident:")) return true;
    return ids.includes(Number(follows.slice("incident:".length)));
  }

  function changedSelect(select) {
    // With no option marked selected, a single select starts on its first option.
    const defaults = Array.from(select.options, (option) => option.defaultSelected);
    if (!select.multiple && defaults.length && !defaults.includes(true)) defaults[0] = true;
    return Array.from(select.options).some((option, index) => option.selected !== defaults[index]);
  }

  function editing() {
    // A form sent back with why it was refused holds what was typed and the reason: kept until read.
    if (main.querySelector('[role="alert"]')) return true;
    for (const field of main.querySelectorAll("input, textarea, select")) {
      if (field.type === "hidden" || field.type === "submit") continue;
      if (field === document.activeElement) return true;
      if ((field.type === "checkbox" || field.type === "radio") && field.checked !== field.defaultChecked) return true;
      if (field.tagName === "SELECT") {
        if (changedSelect(field)) return true;
      } else if (field.value !== field.defaultValue) return true;
    }
    return false;
  }

  function keep(confirmation) {
    const heading = confirmation && main.querySelector("#actions-heading");
    if (heading && !main.querySelector("#action-confirmation")) heading.after(confirmation);
  }

  async function refresh() {
    if (fetching) { again = true; return; }
    if (editing()) { if (notice) notice.hidden = false; return; }
    fetching = true;
    try {
      const response = await fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("main");
        if (fresh && !editing()) {
          // A confirmation is shown once (the session forgets it): the fresh page has none.
          const confirmation = main.querySelector("#action-confirmation");
          main.innerHTML = fresh.innerHTML;
          keep(confirmation);
          main.dataset.liveAfter = fresh.dataset.liveAfter || "";
          main.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
          if (notice) notice.hidden = true;
        } else if (notice) notice.hidden = false;
      }
    } finally {
      fetching = false;
      if (again) { again = false; refresh(); }
    }
  }

  const after = main.dataset.liveAfter ? "?after=" + encodeURIComponent(main.dataset.liveAfter) : "";
  const source = new EventSource("/events" + after);
  source.addEventListener("changed", function (event) {
    if (concerns(JSON.parse(event.data).incidents)) refresh();
  });
  source.addEventListener("resync", refresh);
  document.addEventListener("live:refresh", refresh);
})();
