// The playground page: a small Slack client for the local Slack. It shows what the workspace holds
// (GET /playground/state), follows changes live (server-sent events) and sends what the person
// does to the server, which turns it into Slack requests to the bot (HTTP or Socket Mode: transport.js).
import { renderBlocks } from "./blocks.js";
import { askConfirm, renderModal, resetModal, toast } from "./dialogs.js";
import { messageNode } from "./messages.js";
import { pinButton } from "./pins.js";
import { channelNames } from "./mrkdwn.js";
import { chooseTransport, renderTransport } from "./transport.js";

const $ = (selector) => document.querySelector(selector);

const view = {
  me: localStorage.getItem("playground.user") || "U0ALICE",
  channel: "C0INCIDENTS",
  thread: null, // ts of the open thread
  awaitingThread: null, // my message the bot will answer in its thread: open it when it does
  data: null,
};

// The console links to a thread as /#thread=<channel>/<thread ts>: the page opens at that thread.
const linked = /^#thread=([^/]+)\/(.+)$/.exec(location.hash);
if (linked) [view.channel, view.thread] = [decodeURIComponent(linked[1]), decodeURIComponent(linked[2])];

// ------------------------------------------------------------------ talking to the server
const UNREACHABLE = "the playground is not answering (is python -m bot still running?)";

// A failure is always an answer ({ok: false, error}), never an exception: what the person did is
// reported, by a notice or (quiet) by the caller, e.g. the composer, which keeps the text.
async function post(path, body, { quiet = false } = {}) {
  let reply;
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: view.me, ...body }),
    });
    reply = await response.json().catch(() => ({}));
    if (!response.ok || reply.ok === false) reply = { ...reply, ok: false, error: reply.error || `HTTP ${response.status}` };
  } catch {
    setConnection(false);
    reply = { ok: false, error: UNREACHABLE };
  }
  if (!reply.ok && !quiet) toast(`Not sent: ${reply.error}`);
  return reply;
}

function setConnection(live) {
  const status = $("#live-status");
  status.classList.toggle("offline", !live);
  status.textContent = live ? "● live" : "● offline, reconnecting…";
  // With the playground down, so is the bot's socket: the last state fetched no longer says.
  if (!live && view.data) renderTransport({ ...view.data.transport, connected: false });
}

let fetching = null;
let again = false;
async function refresh() {
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    do {
      again = false;
      const response = await fetch(`/playground/state?user=${encodeURIComponent(view.me)}`).catch(() => null);
      if (response?.ok) {
        view.data = await response.json();
        render();
      }
    } while (again);
  })().finally(() => {
    fetching = null;
  });
  return fetching;
}

// The badge says whether the page is connected: the event stream is the connection.
function listen() {
  const source = new EventSource("/playground/events");
  source.addEventListener("hello", () => {
    setConnection(true);
    refresh(); // what changed while the page was away
  });
  source.addEventListener("change", () => refresh());
  source.onerror = () => {
    setConnection(false);
    // The browser retries a dropped stream by itself, but not one refused with an HTTP error.
    if (source.readyState === EventSource.CLOSED) setTimeout(listen, 2000);
  };
}

// ------------------------------------------------------------------ context for blocks
function users() {
  return new Map((view.data?.users || []).map((u) => [u.id, u]));
}

function blockContext(message, ephemeral) {
  return {
    users: users(),
    people: (view.data?.users || []).filter((u) => !u.is_bot),
    confirm: (confirm) => askConfirm(confirm, users()),
    act: (element, blockId, choice) =>
      post("/playground/click", {
        channel: message.channel || view.channel,
        message_ts: message.ts,
        block_id: blockId,
        action_id: element.action_id,
        choice,
        ephemeral,
      }),
  };
}

// ------------------------------------------------------------------ rendering
function render() {
  const data = view.data;
  const who = users();
  renderSidebar(data);
  const channelName = data.channels.find((c) => c.id === view.channel)?.name || view.channel;
  $("#channel-name").textContent = `# ${channelName}`;
  $("#composer-input").placeholder = `Message #${channelName}`;
  const messages = (data.messages[view.channel] || []).map((m) => ({ ...m, channel: view.channel }));
  const ephemerals = data.ephemerals.filter((e) => e.channel === view.channel);
  const replies = new Map();
  for (const m of messages) {
    if (m.thread_ts && m.thread_ts !== m.ts) replies.set(m.thread_ts, [...(replies.get(m.thread_ts) || []), m]);
  }
  if (view.awaitingThread && replies.has(view.awaitingThread)) {
    view.thread = view.awaitingThread;
    view.awaitingThread = null;
  }
  const top = messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const topEphemerals = ephemerals.filter((e) => !e.thread_ts);
  fill($("#messages"), merge(top, topEphemerals), (item) => renderItem(item, who, replies.get(item.ts) || []));
  renderThread(messages, ephemerals, replies, who, channelName);
  renderModal(data.modal, { post, context: () => blockContext({ ts: "" }, false) });
}

function renderSidebar(data) {
  for (const channel of data.channels) channelNames.set(channel.id, channel.name);
  $("#kept-where").textContent = `Incidents and messages are kept in ${data.kept.where}.` + (data.kept.refusal ? ` ${data.kept.refusal}` : "");
  $("#reset").disabled = !data.kept.reset;
  renderTransport(data.transport);
  const switcher = $("#user-switcher");
  const people = data.users.filter((u) => !u.is_bot);
  if (switcher.options.length !== people.length) {
    switcher.replaceChildren(...people.map((u) => new Option(`${u.real_name} (@${u.name})`, u.id)));
  }
  switcher.value = view.me;
  const list = $("#channel-list");
  list.replaceChildren(
    ...data.channels.map((c) => {
      const item = document.createElement("li");
      item.className = `channel${c.id === view.channel ? " active" : ""}`;
      item.dataset.channel = c.id;
      item.textContent = `# ${c.name}`;
      item.addEventListener("click", () => {
        view.channel = c.id;
        view.thread = null;
        showSidebar(false);
        render();
      });
      return item;
    }),
  );
}

function renderThread(messages, ephemerals, replies, who, channelName) {
  const pane = $("#thread");
  const parent = messages.find((m) => m.ts === view.thread);
  if (!parent) {
    pane.hidden = true;
    $("#thread-messages").replaceChildren(); // its thread is gone (a reset, say)
    return;
  }
  pane.hidden = false;
  $("#thread-channel").textContent = `# ${channelName}`;
  const inThread = merge(replies.get(parent.ts) || [], ephemerals.filter((e) => e.thread_ts === parent.ts));
  fill($("#thread-messages"), [parent, ...inThread], (item) => renderItem(item, who, [], true));
}

function merge(messages, ephemerals) {
  const items = [...messages, ...ephemerals.map((e) => ({ ...e, ephemeral: true }))];
  return items.sort((a, b) => Number(a.ts) - Number(b.ts));
}

function fill(container, items, render) {
  const stick = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren(...items.map(render));
  if (stick) container.scrollTop = container.scrollHeight;
}

function renderItem(item, who, threadReplies, inThread = false) {
  return messageNode(item, {
    who,
    botId: view.data.bot.id,
    threadReplies: inThread ? [] : threadReplies,
    blocks: (blocks) => renderBlocks(blocks, blockContext({ ...item, channel: item.channel || view.channel }, !!item.ephemeral)),
    dismiss: () => post("/playground/dismiss", { ts: item.ts }),
    pin: item.ephemeral ? null : () => pinButton({ ...item, channel: item.channel || view.channel }, view.me, post),
    openThread: inThread || item.ephemeral
      ? null
      : () => {
          view.thread = item.ts;
          render();
          $("#thread-input").focus();
        },
  });
}

// ------------------------------------------------------------------ composing
async function send(text, threadTs) {
  const trimmed = text.trim();
  const slash = trimmed.match(/^\/(\S+)\s*([\s\S]*)$/);
  if (slash) {
    if (slash[1] !== "incident") return { ok: false, error: `/${slash[1]} is not a command here; try /incident help` };
    return post("/playground/slash", { channel: view.channel, text: slash[2], thread_ts: threadTs }, { quiet: true });
  }
  const reply = await post("/playground/message", { channel: view.channel, text: trimmed, thread_ts: threadTs }, { quiet: true });
  if (!threadTs && reply.ok && /(^|\s)@firebreak\b/i.test(trimmed)) view.awaitingThread = reply.ts;
  return reply;
}

// As in Slack, the box empties while a message goes out; if it did not reach the bot, the text
// comes back (unless something new was typed meanwhile) with what went wrong beside it.
function composer(form, input, threadTs) {
  const status = form.querySelector(".composer-status");
  const submit = async () => {
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    status.hidden = true;
    const reply = await send(text, threadTs());
    if (reply.ok) return;
    if (!input.value) input.value = text;
    const what = reply.ts ? "Posted, but the bot did not get it" : "Not sent";
    status.textContent = `${what}: ${reply.error}. Your text is kept; press Enter to try again.`;
    status.hidden = false;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  });
}

function showSidebar(open) {
  document.body.classList.toggle("sidebar-open", open);
  $("#sidebar-toggle").setAttribute("aria-expanded", String(open));
  $("#sidebar-scrim").hidden = !open;
}

async function reset() {
  const yes = await askConfirm(
    {
      title: { type: "plain_text", text: "Reset the playground?" },
      text: { type: "plain_text", text: `Every incident and message is erased from ${view.data.kept.where}. The workspace starts afresh, from INC-1.` },
      confirm: { type: "plain_text", text: "Erase and start afresh" },
      deny: { type: "plain_text", text: "Keep everything" },
      style: "danger",
    },
    users(),
  );
  if (!yes) return;
  const reply = await post("/playground/reset", {});
  if (!reply.ok) return;
  view.thread = null;
  view.awaitingThread = null;
  resetModal();
  toast("The playground starts afresh");
  refresh();
}

composer($("#composer"), $("#composer-input"), () => null);
composer($("#thread-composer"), $("#thread-input"), () => view.thread);
$("#thread-close").addEventListener("click", () => {
  view.thread = null;
  render();
});
$("#sidebar-toggle").addEventListener("click", () => showSidebar(!document.body.classList.contains("sidebar-open")));
$("#sidebar-scrim").addEventListener("click", () => showSidebar(false));
$("#reset").addEventListener("click", reset);
chooseTransport(post, refresh);
$("#user-switcher").addEventListener("change", (event) => {
  view.me = event.target.value;
  localStorage.setItem("playground.user", view.me);
  resetModal();
  refresh();
});
refresh();
listen();
