// How the local Slack delivers to the bot, chosen here: signed HTTP requests to /slack/events (the
// Events API), or envelopes on the WebSocket the bot opened in Socket Mode, which it acks.
const $ = (selector) => document.querySelector(selector);

const NAMES = { http: "HTTP (Events API)", socket_mode: "Socket Mode" };

export function renderTransport(transport) {
  const select = $("#transport");
  if (!select.matches(":focus")) select.value = transport.chosen;
  select.disabled = !transport.available;
  const socket = transport.chosen === "socket_mode";
  const status = $("#transport-status");
  const state = socket ? (transport.connected ? " · connected" : " · not connected") : "";
  status.textContent = `${NAMES[transport.chosen]}${state}`;
  status.classList.toggle("offline", socket && !transport.connected);
  $("#transport-note").textContent = socket
    ? `Envelopes on the WebSocket the bot opened with apps.connections.open; ${transport.acked} acked.`
    : "Signed requests POSTed to the bot's /slack/events.";
}

export function chooseTransport(post, refresh) {
  $("#transport").addEventListener("change", async (event) => {
    const reply = await post("/playground/transport", { transport: event.target.value });
    event.target.blur();
    if (reply.ok) renderTransport(reply);
    refresh();
  });
}
