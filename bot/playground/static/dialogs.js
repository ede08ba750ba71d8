// Dialogs of the page: the modal a bot opened (input blocks, inline errors, submit and close), the
// confirm dialog of a control that has ``confirm``, and short notices.
import { renderBlocks } from "./blocks.js";
import { escapeHtml, mrkdwn } from "./mrkdwn.js";

const $ = (selector) => document.querySelector(selector);
const modalState = { key: "", errors: {} };

export function resetModal() {
  modalState.key = "";
  modalState.errors = {};
}

export function renderModal(modal, { post, context }) {
  const backdrop = $("#modal-backdrop");
  if (!modal) {
    backdrop.hidden = true;
    modalState.key = "";
    return;
  }
  const key = `${modal.id}:${modal.hash}:${JSON.stringify(modalState.errors)}`;
  if (key === modalState.key && !backdrop.hidden) return; // keep what is being typed
  modalState.key = key;
  const dialog = $("#modal");
  const form = document.createElement("form");
  form.className = "modal-form";
  form.innerHTML =
    `<div class="dialog-header"><h2>${escapeHtml(modal.title?.text || "")}</h2>` +
    '<button type="button" class="icon-button modal-close" aria-label="Close">×</button></div>';
  const ctx = { ...context(), errors: modalState.errors };
  ctx.act = async () => toast("Buttons inside modals are not part of the playground");
  const body = renderBlocks(modal.blocks, ctx);
  body.classList.add("dialog-body");
  form.append(body);
  const footer = document.createElement("div");
  footer.className = "dialog-footer";
  footer.innerHTML =
    `<button type="button" class="modal-cancel">${escapeHtml(modal.close?.text || "Cancel")}</button>` +
    (modal.submit ? `<button type="submit" class="modal-submit primary">${escapeHtml(modal.submit.text)}</button>` : "");
  form.append(footer);
  const close = () => {
    modalState.errors = {};
    post("/playground/close", { view_id: modal.id });
  };
  form.querySelector(".modal-close").addEventListener("click", close);
  footer.querySelector(".modal-cancel").addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const field of form.querySelectorAll("[data-block-id]")) values[field.dataset.blockId] = field.value;
    const reply = await post("/playground/submit", { view_id: modal.id, values });
    modalState.errors = reply.errors || {};
    if (Object.keys(modalState.errors).length) {
      modalState.key = "";
      renderModal(modal, { post, context });
      restore(values);
    }
  });
  dialog.replaceChildren(form);
  backdrop.hidden = false;
  form.querySelector("input, textarea, select")?.focus();
}

function restore(values) {
  for (const field of $("#modal").querySelectorAll("[data-block-id]")) {
    if (field.dataset.blockId in values) field.value = values[field.dataset.blockId];
  }
}

export function askConfirm(confirm, users) {
  return new Promise((resolve) => {
    const backdrop = $("#confirm-backdrop");
    const dialog = $("#confirm");
    const style = confirm.style === "danger" ? "danger" : "primary";
    dialog.innerHTML =
      `<div class="dialog-header"><h2>${escapeHtml(confirm.title?.text || "Are you sure?")}</h2></div>` +
      `<div class="dialog-body">${confirm.text?.type === "mrkdwn" ? mrkdwn(confirm.text.text, users) : escapeHtml(confirm.text?.text || "").replace(/\n/g, "<br>")}</div>` +
      '<div class="dialog-footer">' +
      `<button type="button" class="confirm-no">${escapeHtml(confirm.deny?.text || "Cancel")}</button>` +
      `<button type="button" class="confirm-yes ${style}">${escapeHtml(confirm.confirm?.text || "Yes")}</button></div>`;
    const done = (answer) => {
      backdrop.hidden = true;
      resolve(answer);
    };
    dialog.querySelector(".confirm-no").addEventListener("click", () => done(false));
    dialog.querySelector(".confirm-yes").addEventListener("click", () => done(true));
    backdrop.hidden = false;
    dialog.querySelector(".confirm-yes").focus();
  });
}

let toastTimer = null;
export function toast(text) {
  const node = $("#toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 4000);
}

