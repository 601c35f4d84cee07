// Chat panel: sends messages to /api/message, renders replies as text, buttons
// or answer cards, and keeps keyboard focus in the message box.
// Wording comes from the page (content/wording/web.yml), not from this file.
const ui = JSON.parse(document.getElementById("ui-text").textContent);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const log = document.getElementById("log");
const form = document.getElementById("form");
const input = document.getElementById("input");
const banner = document.getElementById("banner");
const typing = document.getElementById("typing-text");
const announcer = document.getElementById("announce");

let latestButtons = [];
let busy = false;
let cardCount = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) { node.className = className; }
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  return node;
}

function announce(text) {
  announcer.textContent = "";
  window.setTimeout(function () { announcer.textContent = text; }, 50);
}

function post(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body)
  });
}

function speaker(label) {
  return el("span", "app-msg__who", label + ": ");
}

function addUser(text) {
  const div = el("div", "app-msg app-msg--user");
  div.appendChild(speaker(ui.chat.you));
  div.appendChild(el("span", "app-msg__text", text));
  log.appendChild(div);
}

function isStaleText(text) {
  return typeof text === "string" && text.indexOf(ui.stale_prefix) === 0;
}

function warning(text) {
  const box = el("div", "govuk-warning-text app-warning");
  const icon = el("span", "govuk-warning-text__icon", "!");
  icon.setAttribute("aria-hidden", "true");
  box.appendChild(icon);
  box.appendChild(el("strong", "govuk-warning-text__text app-msg__text", text));
  return box;
}

function textMessage(text) {
  const div = el("div", "app-msg app-msg--bot");
  if (isStaleText(text)) {
    div.classList.add("app-msg--stale");
    div.appendChild(warning(text));
  } else {
    div.appendChild(el("p", "app-msg__text", text));
  }
  return div;
}

function safeUrl(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
}

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  return new Promise(function (resolve, reject) {
    const area = el("textarea", "app-offscreen");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (ok) { resolve(); } else { reject(new Error("copy failed")); }
  });
}

function section(body, heading, content) {
  body.appendChild(el("h3", "govuk-heading-s app-card__heading", heading));
  if (content) { body.appendChild(content); }
}

function feedbackBlock(itemId, logId) {
  const box = el("div", "app-feedback");
  const question = el("p", "govuk-body-s app-feedback__question", ui.card.helpful);
  const qid = "fb-q-" + cardCount;
  question.id = qid;
  const group = el("div", "app-feedback__buttons");
  group.setAttribute("role", "group");
  group.setAttribute("aria-labelledby", qid);
  const yes = el("button", "govuk-button govuk-button--secondary app-button-small", ui.card.answer_yes);
  const no = el("button", "govuk-button govuk-button--secondary app-button-small", ui.card.answer_no);
  yes.type = "button";
  no.type = "button";
  group.appendChild(yes);
  group.appendChild(no);
  box.appendChild(question);
  box.appendChild(group);

  function done(ok) {
    box.textContent = "";
    box.appendChild(el("p", "govuk-body-s app-feedback__done", ok ? ui.card.thanks : ui.card.feedback_failed));
    announce(ok ? ui.card.thanks : ui.card.feedback_failed);
    input.focus();
  }

  function send(helpful, reason) {
    const body = { item_id: itemId, helpful: helpful };
    if (logId) { body.log_id = logId; }
    if (reason) { body.reason = reason; }
    post("/api/feedback", body).then(function (r) { done(r.ok); }).catch(function () { done(false); });
  }

  yes.addEventListener("click", function () { send(true); });
  no.addEventListener("click", function () {
    group.remove();
    const rid = "fb-r-" + cardCount;
    const label = el("label", "govuk-label govuk-label--s", ui.card.reason_label);
    label.htmlFor = rid;
    const reason = el("input", "govuk-input app-feedback__reason");
    reason.id = rid;
    reason.type = "text";
    reason.maxLength = 1000;
    reason.autocomplete = "off";
    const submit = el("button", "govuk-button app-button-small", ui.card.send_reason);
    submit.type = "button";
    submit.addEventListener("click", function () { send(false, reason.value.trim()); });
    reason.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); send(false, reason.value.trim()); }
    });
    box.appendChild(label);
    box.appendChild(reason);
    box.appendChild(submit);
    reason.focus();
  });
  return box;
}

function cardMessage(card) {
  cardCount += 1;
  const article = el("article", "app-card");
  article.tabIndex = -1;
  const headingId = "card-title-" + cardCount;
  const bodyId = "card-body-" + cardCount;
  article.setAttribute("aria-labelledby", headingId);
  if (card.item_id) { article.dataset.itemId = card.item_id; }

  const head = el("div", "app-card__head");
  const title = el("h2", "govuk-heading-s app-card__title", card.title || "");
  title.id = headingId;
  const close = el("button", "app-card__close", ui.card.close);
  close.type = "button";
  close.setAttribute("aria-expanded", "true");
  close.setAttribute("aria-controls", bodyId);
  head.appendChild(title);
  head.appendChild(close);
  article.appendChild(head);

  const body = el("div", "app-card__body");
  body.id = bodyId;
  if (card.stale) {
    let text = ui.card.stale;
    if (card.review_by) { text += " " + ui.card.review_by + " " + card.review_by + "."; }
    body.appendChild(warning(text));
  }
  if (card.say_this) {
    const say = el("div", "app-card__say");
    const quote = el("p", "app-card__quote", card.say_this);
    const copy = el("button", "govuk-button govuk-button--secondary app-button-small app-card__copy", ui.card.copy_button);
    copy.type = "button";
    copy.addEventListener("click", function () {
      copyText(card.say_this).then(function () { announce(ui.card.copied); }, function () { announce(ui.card.copy_failed); });
    });
    say.appendChild(quote);
    say.appendChild(copy);
    section(body, ui.card.say_this, say);
  }
  if (card.steps && card.steps.length) {
    let steps;
    if (Array.isArray(card.steps)) {
      steps = el("ol", "govuk-list govuk-list--number");
      card.steps.forEach(function (s) { steps.appendChild(el("li", null, s)); });
    } else {
      steps = el("p", "govuk-body-s app-msg__text", card.steps);
    }
    section(body, ui.card.steps, steps);
  }
  if (card.contact) {
    section(body, ui.card.contact, el("p", "govuk-body-s app-msg__text", card.contact));
  }
  const meta = el("p", "govuk-body-s app-card__meta");
  const url = safeUrl(card.source);
  if (url) {
    meta.appendChild(document.createTextNode(ui.card.source + ": "));
    const link = el("a", "govuk-link", url);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    meta.appendChild(link);
  }
  if (card.last_checked) {
    if (url) { meta.appendChild(el("br")); }
    meta.appendChild(document.createTextNode(ui.card.last_checked + ": " + card.last_checked));
  }
  if (meta.childNodes.length) { body.appendChild(meta); }
  if (card.refer && card.item_id) {
    const refer = el("p", "govuk-body-s app-card__refer");
    const link = el("a", "govuk-link", ui.card.refer);
    link.href = "/referrals/new?service=" + encodeURIComponent(card.item_id);
    refer.appendChild(link);
    const st = card.response_stats;
    if (st && st.count) {
      refer.appendChild(el("br"));
      refer.appendChild(document.createTextNode(
        ui.card.response_time.replace("{hours}", st.median_hours).replace("{count}", st.count)));
    }
    body.appendChild(refer);
  }
  if (card.item_id) { body.appendChild(feedbackBlock(card.item_id, card.log_id)); }
  article.appendChild(body);

  close.addEventListener("click", function () { toggleCard(article); });
  return article;
}

function toggleCard(article, forceClose) {
  const body = article.querySelector(".app-card__body");
  const button = article.querySelector(".app-card__close");
  const closing = forceClose || !body.hidden;
  body.hidden = closing;
  button.textContent = closing ? ui.card.reopen : ui.card.close;
  button.setAttribute("aria-expanded", closing ? "false" : "true");
  article.classList.toggle("app-card--closed", closing);
  if (closing) { announce(ui.card.closed); }
}

function choiceButtons(buttons) {
  const group = el("div", "app-choices");
  buttons.forEach(function (b, i) {
    const btn = el("button", "govuk-button govuk-button--secondary app-choice");
    btn.type = "button";
    if (i < 9) {
      const key = el("span", "app-choice__key", String(i + 1));
      key.setAttribute("aria-hidden", "true");
      btn.appendChild(key);
      btn.setAttribute("aria-keyshortcuts", String(i + 1));
    }
    btn.appendChild(el("span", "app-choice__title", b.title));
    btn.addEventListener("click", function () { send(b.payload, b.title); });
    group.appendChild(btn);
    latestButtons.push(btn);
  });
  return group;
}

// the end of a guided flow: one referral to the services the guide names
function referMessage(services) {
  const box = el("p", "govuk-body app-msg app-refer");
  const link = el("a", "govuk-link", ui.card.refer_many);
  link.href = "/referrals/new?" + services.map(function (s) {
    return "service=" + encodeURIComponent(s.id);
  }).join("&");
  box.appendChild(link);
  return box;
}

function addReply(messages) {
  latestButtons = [];
  const reply = el("div", "app-reply");
  reply.appendChild(el("span", "govuk-visually-hidden", ui.chat.assistant + ": "));
  messages.forEach(function (m) {
    const card = m.custom && typeof m.custom === "object" ? m.custom.card : null;
    const refer = m.custom && typeof m.custom === "object" ? m.custom.refer : null;
    let node;
    if (card && typeof card === "object") {
      node = cardMessage(card);
    } else if (refer && Array.isArray(refer.services) && refer.services.length) {
      node = referMessage(refer.services);
    } else {
      node = textMessage(m.text || "");
    }
    if (Array.isArray(m.buttons) && m.buttons.length) {
      node.appendChild(choiceButtons(m.buttons));
    }
    if (!card && isStaleText(m.text)) {
      // the warning goes before the answer it is about, so it is read first
      reply.insertBefore(node, reply.children[1] || null);
    } else {
      reply.appendChild(node);
    }
  });
  log.appendChild(reply);
  reply.scrollIntoView({ block: "nearest" });
}

function setBusy(on) {
  busy = on;
  typing.hidden = !on;
  form.setAttribute("aria-busy", on ? "true" : "false");
}

async function send(payload, shown) {
  if (busy) { return; }
  setBusy(true);
  addUser(shown || payload);
  try {
    const r = await post("/api/message", { message: payload });
    if (r.status === 401) {
      window.location.assign("/login");
      return;
    }
    if (!r.ok) {
      banner.hidden = false;
      return;
    }
    const data = await r.json();
    banner.hidden = true;
    addReply(data.messages || []);
  } catch (err) {
    banner.hidden = false;
  } finally {
    setBusy(false);
    input.focus();
    form.scrollIntoView({ block: "nearest" }); // focus() does not scroll when the box already had focus
  }
}

form.addEventListener("submit", function (e) {
  e.preventDefault();
  const text = input.value.trim();
  if (!text || busy) { return; }
  input.value = "";
  send(text);
});

input.addEventListener("keydown", function (e) {
  if (input.value === "" && !e.altKey && !e.ctrlKey && !e.metaKey && /^[1-9]$/.test(e.key)) {
    const btn = latestButtons[Number(e.key) - 1];
    if (btn && !busy) {
      e.preventDefault();
      btn.click();
    }
  }
});

document.addEventListener("keydown", function (e) {
  if ((e.altKey && (e.key === "/" || e.code === "Slash")) || ((e.ctrlKey || e.metaKey) && (e.key === "k" || e.key === "K"))) {
    e.preventDefault();
    input.focus();
    return;
  }
  if (e.key === "Escape") {
    const active = document.activeElement;
    let card = active && active.closest ? active.closest(".app-card") : null;
    if (!card && active === input) {
      const open = log.querySelectorAll(".app-card:not(.app-card--closed)");
      card = open.length ? open[open.length - 1] : null;
    }
    if (card && !card.classList.contains("app-card--closed")) {
      e.preventDefault();
      toggleCard(card, true);
      input.focus();
    }
  }
});

input.focus();
