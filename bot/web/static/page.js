// newsbot's page: asks /api/ask (streamed), shows the answer and its sources, opens an article
// with the quoted span highlighted. Every text from the server goes in with textContent, never
// as markup; a link is made only for an http(s) address.
"use strict";

const $ = (id) => document.getElementById(id);
let conversation = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function webLink(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

function headers(extra) {
  const h = Object.assign({}, extra);
  const token = $("token").value.trim() || sessionStorage.getItem("newsbot-token");
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

function say(text) {
  $("status").textContent = text;
}

async function failure(response) {
  if (response.status === 401) {
    $("token-row").hidden = false;
    $("token").focus();
  }
  try {
    return (await response.json()).error || response.statusText;
  } catch (e) {
    return response.statusText || "the server did not answer";
  }
}

// The events of a text/event-stream body: yields [event, data] as they arrive.
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let kind = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) kind = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      yield [kind, JSON.parse(data)];
    }
  }
}

function answerParagraph(data) {
  const p = el("p", null, "answer");
  const lead = data.short_answer ? data.short_answer + ": " : null;
  if (lead && data.answer.startsWith(lead)) {
    p.append(el("strong", data.short_answer, "short-answer"), ": " + data.answer.slice(lead.length));
  } else {
    p.textContent = data.answer;
  }
  return p;
}

function sourceItem(c) {
  const li = el("li");
  const open = el("button", "[" + c.n + "] " + c.title, "link source");
  open.type = "button";
  open.addEventListener("click", () => openArticle(c, open));
  li.append(open);
  if (c.date) li.append(" ", el("span", "(" + c.date + ")", "date"));
  const href = c.url ? webLink(c.url) : null;
  if (href) {
    const a = el("a", "article on the web");
    a.href = href;
    a.rel = "noopener noreferrer";
    li.append(" · ", a);
  }
  li.append(el("blockquote", "“" + c.quote + "”"));
  return li;
}

function disagreementBlock(data) {
  // The articles state different values for what was asked: each with its sources, newest first.
  const box = el("div", null, "disagreement");
  box.setAttribute("role", "note");
  box.append(el("h3", data.updated ? "Updated since first reported" : "Sources differ"));
  const list = el("ul");
  for (const d of data.disagreements) {
    const cited = d.citations.map((n) => "[" + n + "]").join("");
    list.append(el("li", d.value + (d.date ? " (" + d.date + ")" : "") + " " + cited));
  }
  box.append(list);
  return box;
}

function refusalBlock(data) {
  const box = el("div", null, "refusal");
  box.setAttribute("role", "note");
  box.append(el("h3", "Not in the articles"), el("p", data.answer));
  if (data.missing && data.missing.length) {
    box.append(el("p", "Missing: " + data.missing.join(", "), "missing"));
  }
  return box;
}

function render(turn, data) {
  turn.querySelector(".pending")?.remove();
  if (data.notice) turn.append(el("p", data.notice, "notice"));
  if (data.refused) {
    turn.append(refusalBlock(data));
    return;
  }
  if (data.disagreements && data.disagreements.length) turn.append(disagreementBlock(data));
  turn.append(answerParagraph(data));
  if (data.citations.length) {
    const list = el("ol", null, "sources");
    list.setAttribute("aria-label", "Sources");
    for (const c of data.citations) list.append(sourceItem(c));
    turn.append(list);
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const token = $("token").value.trim();
  if (token) sessionStorage.setItem("newsbot-token", token);
  const body = { question: question };
  if ($("as-of").value) body.as_of = $("as-of").value;
  if (conversation) body.conversation = conversation;
  const turn = el("article", null, "turn");
  const asOf = body.as_of ? " (as of " + body.as_of + ")" : "";
  turn.append(el("p", "You asked" + asOf + ": " + question, "asked"));
  const pending = el("p", "…", "pending answer");
  turn.append(pending);
  $("conversation").append(turn);
  turn.scrollIntoView({ block: "nearest" });
  $("send").disabled = true;
  say("Looking in the articles…");
  try {
    const response = await fetch("/api/ask", {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(await failure(response));
    let shown = "";
    for await (const [kind, data] of events(response)) {
      if (kind === "delta") {
        shown += data.text;
        pending.textContent = shown;
      } else if (kind === "answer") {
        conversation = data.conversation;
        render(turn, data);
        say(data.refused ? "The articles don't cover that." : "Answered from " +
          data.citations.length + " source" + (data.citations.length === 1 ? "." : "s."));
      } else if (kind === "error") {
        throw new Error(data.error);
      }
    }
    $("question").value = "";
  } catch (error) {
    pending.remove();
    turn.append(el("p", "Error: " + error.message, "error"));
    say("Error: " + error.message);
  } finally {
    $("send").disabled = false;
    $("question").focus();
  }
}

async function openArticle(c, opener) {
  say("Opening the article…");
  const response = await fetch("/api/articles/" + encodeURIComponent(c.article), {
    headers: headers({}),
  });
  if (!response.ok) {
    say("Error: " + (await failure(response)));
    return;
  }
  const a = await response.json();
  $("article-title").textContent = a.title;
  const meta = [a.date || "undated", a.file];
  if (a.changed) meta.push("the file changed since it was indexed: the highlight may be off");
  $("article-meta").textContent = meta.join(" · ");
  const text = $("article-text");
  text.replaceChildren();
  let start = c.start;
  let end = c.end;
  if (a.text.slice(start, end) !== c.quote) {
    start = a.text.indexOf(c.quote);
    end = start + c.quote.length;
  }
  if (start < 0) {
    text.append(a.text);
  } else {
    const mark = el("mark", a.text.slice(start, end));
    mark.id = "quote";
    text.append(a.text.slice(0, start), mark, a.text.slice(end));
  }
  const box = $("article");
  box.hidden = false;
  openArticle.opener = opener;
  $("article-title").focus();
  const mark = $("quote");
  if (mark) mark.scrollIntoView({ block: "center" });
  say("The quote is highlighted in the article.");
}

function closeArticle() {
  $("article").hidden = true;
  if (openArticle.opener) openArticle.opener.focus();
}

function newConversation() {
  conversation = null;
  $("conversation").replaceChildren();
  closeArticle();
  say("New conversation: the next question stands on its own.");
  $("question").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", ask);
  $("new").addEventListener("click", newConversation);
  $("close").addEventListener("click", closeArticle);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("article").hidden) closeArticle();
  });
  if (sessionStorage.getItem("newsbot-token")) $("token-row").hidden = false;
  $("question").focus();
});
