// Messages as Slack shows them: avatar, author, time, "(edited)", "Only visible to you" for an
// ephemeral, Block Kit or mrkdwn text, and the link to the thread.
import { escapeHtml, mrkdwn } from "./mrkdwn.js";

const COLORS = ["#e8912d", "#2bac76", "#1d9bd1", "#e01e5a", "#7c3085", "#36c5f0"];

function avatar(user) {
  const node = document.createElement("div");
  node.className = "avatar";
  if (!user || user.is_bot) {
    node.textContent = "🔥";
    node.classList.add("bot");
    return node;
  }
  const index = [...user.id].reduce((sum, c) => sum + c.charCodeAt(0), 0) % COLORS.length;
  node.style.background = COLORS[index];
  node.textContent = user.real_name.slice(0, 1);
  return node;
}

// The emoji the bot reacts with, as Slack draws them; any other shows by its name.
const EMOJI = { memo: "📝", white_check_mark: "✅", eyes: "👀", pushpin: "📌" };

function reactionsNode(reactions) {
  const row = document.createElement("div");
  row.className = "reactions";
  for (const { name, count } of reactions) {
    const pill = document.createElement("span");
    pill.className = "reaction";
    pill.title = `:${name}:`;
    pill.textContent = `${EMOJI[name] || `:${name}:`} ${count}`;
    row.append(pill);
  }
  return row;
}

// One message (or ephemeral) as Slack shows it; the callbacks are what its controls and links do
// (openThread is null where a message cannot start a thread: in a thread, or an ephemeral; pin,
// which makes the 📌 control, is null for an ephemeral).
export function messageNode(item, { who, botId, threadReplies, blocks, dismiss, openThread, pin }) {
  const author = item.ephemeral ? who.get(botId) : who.get(item.user);
  const node = document.createElement("div");
  node.className = `message${item.ephemeral ? " ephemeral" : ""}${item.blocks?.length ? " has-blocks" : ""}`;
  node.dataset.ts = item.ts;
  node.append(avatar(author));
  const body = document.createElement("div");
  body.className = "message-body";
  const time = new Date(Number(item.ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const name = author ? author.real_name : item.user;
  body.innerHTML =
    `<div class="meta"><span class="author">${escapeHtml(name)}</span>` +
    `${!author || author.is_bot ? '<span class="app-badge">APP</span>' : ""}` +
    `<span class="time">${escapeHtml(time)}</span>${item.edited ? '<span class="muted">(edited)</span>' : ""}</div>`;
  if (item.ephemeral) {
    const label = document.createElement("div");
    label.className = "only-you";
    label.innerHTML = '👁 Only visible to you <button type="button" class="link dismiss">Dismiss</button>';
    label.querySelector(".dismiss").addEventListener("click", dismiss);
    body.append(label);
  }
  if (item.blocks?.length) {
    body.append(blocks(item.blocks));
  } else {
    const text = document.createElement("div");
    text.className = "text";
    text.innerHTML = mrkdwn(item.text, who);
    body.append(text);
  }
  if (item.reactions?.length) body.append(reactionsNode(item.reactions));
  if (threadReplies.length) {
    const link = document.createElement("button");
    link.type = "button";
    link.className = "link replies-link";
    link.textContent = `${threadReplies.length} ${threadReplies.length === 1 ? "reply" : "replies"}`;
    link.addEventListener("click", openThread);
    body.append(link);
  }
  node.append(body);
  if (pin) node.append(pin());
  if (openThread) {
    // Slack's hover toolbar: any message can start a thread, not only one that has replies.
    const reply = document.createElement("button");
    reply.type = "button";
    reply.className = "reply-in-thread";
    reply.title = "Reply in thread";
    reply.setAttribute("aria-label", "Reply in thread");
    reply.textContent = "💬 Reply";
    reply.addEventListener("click", openThread);
    node.append(reply);
  }
  return node;
}
