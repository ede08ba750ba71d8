// The status page follows /status/events and replaces what it shows with the latest, in place:
// the subscribe form (and anything typed in it) stays as it is.
(function () {
  "use strict";
  const main = document.getElementById("main");
  if (!main || !window.EventSource) return;
  let fetching = false;
  let again = false;

  async function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      const response = await fetch("/status", { headers: { "Accept": "text/html" } });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("live");
        const live = document.getElementById("live");
        if (fresh && live) live.innerHTML = fresh.innerHTML;
      }
    } finally {
      fetching = false;
      if (again) { again = false; refresh(); }
    }
  }

  const source = new EventSource("/status/events?version=" + encodeURIComponent(main.dataset.version || ""));
  source.addEventListener("status", refresh);
})();
