// The 📌 on a message's hover toolbar: the pushpin reaction, which puts a message of an incident's
// thread on that incident's timeline (SPEC §10); pressed again, it takes it off.
const PUSHPIN = "pushpin";

export function pinButton(item, me, post) {
  const mine = (item.reactions || []).some((r) => r.name === PUSHPIN && (r.users || []).includes(me));
  const button = document.createElement("button");
  button.type = "button";
  button.className = "pin-message";
  button.title = mine ? "Remove your 📌: off the incident's timeline" : "Add 📌: onto the incident's timeline";
  button.setAttribute("aria-label", button.title);
  button.textContent = mine ? "📌 Unpin" : "📌 Pin";
  button.addEventListener("click", () => post("/playground/pushpin", { channel: item.channel, ts: item.ts }));
  return button;
}
