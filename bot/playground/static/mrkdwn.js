// Slack's mrkdwn to safe HTML: everything is escaped first; only the tags made here are markup.
// Handles <@U…> (as @name), <#C…|name>, <!here>, <!date^…|fallback> (the fallback), <url|label>,
// *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes and line breaks.

// Channel names by id, for <#C…> without a label (the page keeps it current).
export const channelNames = new Map();

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function unslack(text) {
  // Slack escapes & < > in message text; undo that before escaping for HTML.
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function token(inner, users) {
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    const user = users.get(target.slice(1));
    const name = user ? user.name : label || target.slice(1);
    return `<span class="mention">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("#")) {
    const name = channelNames.get(target.slice(1)) || unslack(label || target.slice(1));
    return `<span class="mention">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("!date^")) {
    const seconds = Number(target.split("^")[1]);
    const local = Number.isFinite(seconds) ? new Date(seconds * 1000).toLocaleString() : "";
    return `<span class="date" title="${escapeHtml(local)}">${escapeHtml(unslack(label || local))}</span>`;
  }
  if (target.startsWith("!subteam^")) return `<span class="mention">${escapeHtml(unslack(label || "@group"))}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  const url = unslack(target);
  if (/^(https?:|mailto:)/i.test(url)) {
    const text = escapeHtml(unslack(label || url));
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>`;
  }
  return escapeHtml(unslack(`<${inner}>`));
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

const HOLE = "\u0001";

export function mrkdwn(text, users) {
  const holes = [];
  const keep = (html) => `${HOLE}${holes.push(html) - 1}${HOLE}`;
  let out = String(text ?? "").replace(/<([^<>\n]+)>/g, (_, inner) => keep(token(inner, users)));
  out = escapeHtml(unslack(out));
  out = out.replace(/```([\s\S]+?)```/g, (_, code) => keep(`<pre>${code.replace(/^\n/, "")}</pre>`));
  out = out.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  const edge = "(^|[\\s(\\u0001\\[])";
  const end = "(?=$|[\\s.,;:!?)\\]\\u0001])";
  out = out.replace(new RegExp(`${edge}\\*(?!\\s)([^*\\n]+?)\\*${end}`, "g"), "$1<b>$2</b>");
  out = out.replace(new RegExp(`${edge}_(?!\\s)([^_\\n]+?)_${end}`, "g"), "$1<i>$2</i>");
  out = out.replace(new RegExp(`${edge}~(?!\\s)([^~\\n]+?)~${end}`, "g"), "$1<s>$2</s>");
  out = out
    .split("\n")
    .map((line) => (line.startsWith("&gt; ") ? `<span class="quote">${line.slice(5)}</span>` : line))
    .join("<br>");
  return out.replace(new RegExp(`${HOLE}(\\d+)${HOLE}`, "g"), (_, i) => holes[Number(i)]);
}

export function plain(text) {
  return escapeHtml(text ?? "");
}

// A text object of Block Kit: mrkdwn or plain_text.
export function textObject(obj, users) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, users) : plain(obj.text);
}
