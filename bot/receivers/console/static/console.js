// Firebreak console: a little plain JavaScript. Pages work without it; it only adds conveniences.
"use strict";

/** The session's CSRF token (also in every form), for scripts that POST. */
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// A form sent twice by a double click would act twice: its submit button is disabled once sent.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && !event.defaultPrevented) {
    setTimeout(() => { button.disabled = true; }, 0);
  }
});

// A form sent back with its error is shown at the address it was posted to, which has no page of
// its own: the page's own address goes back in the bar, so reloading it, "Show the latest" and the
// live refresh (which fetch the current address) get the page and not a 405.
const shownPage = document.getElementById("main")?.dataset.page;
if (shownPage && window.location.pathname !== shownPage) {
  window.history.replaceState(null, "", shownPage + window.location.hash);
}

window.firebreak = Object.assign(window.firebreak || {}, { csrfToken });
