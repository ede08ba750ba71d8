// Block Kit to DOM: header, section (text, fields, accessory), context, divider, image, actions
// (buttons, static_select, users_select, overflow; confirm dialogs) and, in modals, input blocks.
import { escapeHtml, mrkdwn, plain, textObject } from "./mrkdwn.js";

function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

// ctx: { users: Map, people: [user], act(element, blockId, choice), confirm(confirmObj) -> Promise<bool>,
//        errors: {block_id: message} (modals) }
export function renderBlocks(blocks, ctx) {
  const root = el("div", "blocks");
  for (const block of blocks || []) root.append(renderBlock(block, ctx));
  return root;
}

function renderBlock(block, ctx) {
  switch (block.type) {
    case "header":
      return el("div", "bk-header", plain(block.text?.text));
    case "section":
      return section(block, ctx);
    case "context": {
      const node = el("div", "bk-context");
      for (const item of block.elements || []) {
        if (item.type === "image") node.append(image(item, "bk-context-image"));
        else node.append(el("span", "bk-context-item", textObject(item, ctx.users)));
      }
      return node;
    }
    case "divider":
      return el("hr", "bk-divider");
    case "image": {
      const node = el("figure", "bk-image");
      if (block.title) node.append(el("figcaption", "", plain(block.title.text)));
      node.append(image(block));
      return node;
    }
    case "actions": {
      const node = el("div", "bk-actions");
      for (const element of block.elements || []) node.append(control(element, block.block_id, ctx));
      return node;
    }
    case "input":
      return input(block, ctx);
    default:
      return el("div", "bk-unknown", `<span class="muted">[${escapeHtml(block.type)} block]</span>`);
  }
}

function section(block, ctx) {
  const node = el("div", "bk-section");
  const body = el("div", "bk-section-body");
  if (block.text) body.append(el("div", "bk-text", textObject(block.text, ctx.users)));
  if (block.fields) {
    const fields = el("div", "bk-fields");
    for (const field of block.fields) fields.append(el("div", "bk-field", textObject(field, ctx.users)));
    body.append(fields);
  }
  node.append(body);
  if (block.accessory) {
    const accessory = el("div", "bk-accessory");
    accessory.append(block.accessory.type === "image" ? image(block.accessory) : control(block.accessory, block.block_id, ctx));
    node.append(accessory);
  }
  return node;
}

function image(item, className = "") {
  const img = el("img", className);
  img.src = /^https?:/i.test(item.image_url || "") ? item.image_url : "";
  img.alt = item.alt_text || "";
  return img;
}

async function use(element, blockId, choice, ctx) {
  if (element.confirm && !(await ctx.confirm(element.confirm))) return false;
  await ctx.act(element, blockId, choice);
  return true;
}

function control(element, blockId, ctx) {
  switch (element.type) {
    case "button": {
      const button = el("button", `bk-button ${element.style || ""}`.trim(), plain(element.text?.text));
      button.type = "button";
      button.dataset.actionId = element.action_id || "";
      button.addEventListener("click", async () => {
        if (element.url) window.open(element.url, "_blank", "noopener");
        button.disabled = true;
        try {
          await use(element, blockId, null, ctx);
        } finally {
          button.disabled = false;
        }
      });
      return button;
    }
    case "static_select":
    case "users_select":
    case "overflow": {
      const select = selectFor(element, ctx);
      select.dataset.actionId = element.action_id || "";
      const before = select.value;
      select.addEventListener("change", async () => {
        const used = await use(element, blockId, select.value, ctx);
        if (!used) select.value = before;
      });
      return select;
    }
    default:
      return el("span", "bk-unknown muted", `[${escapeHtml(element.type)}]`);
  }
}

function option(value, label, selected) {
  const node = el("option", "", label);
  node.value = value;
  node.selected = selected;
  return node;
}

function selectFor(element, ctx) {
  const select = el("select", `bk-select ${element.type}`);
  const placeholder = element.type === "overflow" ? "⋯" : element.placeholder?.text || "Select…";
  let chosen = "";
  if (element.type === "users_select") chosen = element.initial_user || "";
  else if (element.initial_option) chosen = element.initial_option.value;
  const blank = option("", plain(placeholder), !chosen);
  blank.disabled = true;
  select.append(blank);
  if (element.type === "users_select") {
    for (const person of ctx.people) select.append(option(person.id, plain(person.real_name), person.id === chosen));
  } else {
    for (const opt of element.options || []) select.append(option(opt.value, textObject(opt.text, ctx.users), opt.value === chosen));
    for (const group of element.option_groups || []) {
      const node = el("optgroup");
      node.label = group.label?.text || "";
      for (const opt of group.options || []) node.append(option(opt.value, textObject(opt.text, ctx.users), opt.value === chosen));
      select.append(node);
    }
  }
  return select;
}

function input(block, ctx) {
  const node = el("div", "bk-input");
  const element = block.element || {};
  const id = `input-${block.block_id}`;
  const label = el("label", "bk-label", plain(block.label?.text));
  label.htmlFor = id;
  if (block.optional) label.append(el("span", "muted", " (optional)"));
  node.append(label);
  let field;
  if (element.type === "plain_text_input") {
    field = el(element.multiline ? "textarea" : "input", "bk-field-input");
    if (!element.multiline) field.type = "text";
    field.placeholder = element.placeholder?.text || "";
    field.value = element.initial_value || "";
    if (element.max_length) field.maxLength = element.max_length;
  } else if (["static_select", "users_select"].includes(element.type)) {
    field = selectFor(element, ctx);
    field.classList.add("bk-field-input");
  } else {
    field = el("input", "bk-field-input");
    field.disabled = true;
    field.value = `[${element.type} is not supported in the playground]`;
  }
  field.id = id;
  field.name = block.block_id;
  field.dataset.blockId = block.block_id;
  node.append(field);
  if (block.hint) node.append(el("div", "bk-hint muted", plain(block.hint.text)));
  const error = ctx.errors?.[block.block_id];
  if (error) node.append(el("div", "bk-error", plain(error)));
  return node;
}

export { mrkdwn };
