// The labeling page. Every text from the data goes into the document through textContent and
// createElement, never as HTML: a reply holding <script> or <img onerror> shows as those characters.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { item: null, shownAt: 0, ranking: [], ratings: [], busy: false, token: null };

  // ?token=... from the link an annotator was given: kept for this tab, dropped from the address bar
  const params = new URLSearchParams(location.search);
  state.token = params.get("token") || sessionStorage.getItem("rlhf_rm_token");
  if (params.has("token")) {
    sessionStorage.setItem("rlhf_rm_token", state.token);
    history.replaceState(null, "", location.pathname);
  }

  function newId() {  // works outside secure contexts too (crypto.randomUUID does not)
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // One request; a network failure is retried with the same body (and judgement_id), so the
  // server stores the judgement once however many times it arrives.
  async function api(path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const init = body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) };
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await fetch(path, init);
      } catch (err) {
        if (attempt >= 6) throw { status: 0, error: "the server cannot be reached" };
        setStatus("connection lost, retrying...", true);
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
        continue;
      }
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw { status: response.status, error: data.error || response.statusText };
      return data;
    }
  }

  function setStatus(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  function renderProgress(p) {
    const node = $("progress");
    node.textContent = `${p.done} / ${p.total} · ${p.annotator}: ${p.mine} / ${p.mine_total}`;
    Object.assign(node.dataset, { done: p.done, total: p.total, mine: p.mine, mineTotal: p.mine_total });
  }

  function renderPrompt(messages) {
    const box = $("prompt");
    box.replaceChildren();
    for (const m of messages) {
      const turn = el("div", "turn " + m.role);
      turn.append(el("span", "role", m.role), el("div", "content", m.content));
      box.append(turn);
    }
  }

  function renderReply(text, i, k) {
    const card = el("div", "reply");
    card.dataset.replyIndex = String(i);
    const head = el("div", "head");
    const pick = el("button", "pick", `Best (${i + 1})`);
    pick.type = "button";
    pick.addEventListener("click", () => choose(i));
    head.append(pick, el("span", "rank"));
    const rating = el("div", "rating", "rating:");
    for (let r = 1; r <= 5; r++) {
      const b = el("button", "", String(r));
      b.type = "button";
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", () => rate(i, r));
      rating.append(b);
    }
    card.append(head, el("div", "text", text), rating);
    return card;
  }

  function render(payload) {
    renderProgress(payload.progress);
    state.item = payload.item;
    state.ranking = [];
    $("comment").value = "";
    const done = !state.item;
    $("item").hidden = done;
    $("finished").hidden = !done;
    document.body.dataset.state = done ? "done" : "ready";
    if (done) return;
    const k = state.item.replies.length;
    state.ratings = new Array(k).fill(null);
    $("item").dataset.itemId = state.item.item_id;
    $("item").dataset.position = String(state.item.position);
    renderPrompt(state.item.prompt);
    $("replies").replaceChildren(...state.item.replies.map((text, i) => renderReply(text, i, k)));
    $("hint").textContent = k === 2 ? "Press 1 or 2 for the better reply."
      : `Rank the ${k} replies: press the best one's number, then the next best, ...`;
    state.shownAt = performance.now();
  }

  function showRanking() {
    document.querySelectorAll(".reply").forEach((card) => {
      const at = state.ranking.indexOf(Number(card.dataset.replyIndex));
      card.classList.toggle("ranked", at >= 0);
      card.querySelector(".rank").textContent = at >= 0 ? `#${at + 1}` : "";
    });
  }

  function rate(i, r) {
    state.ratings[i] = state.ratings[i] === r ? null : r;
    const card = document.querySelector(`.reply[data-reply-index="${i}"]`);
    card.querySelectorAll(".rating button").forEach((b) => {
      b.setAttribute("aria-pressed", String(Number(b.textContent) === state.ratings[i]));
    });
  }

  function choose(i) {
    if (!state.item || state.busy || i >= state.item.replies.length || state.ranking.includes(i)) return;
    state.ranking.push(i);
    showRanking();
    if (state.ranking.length >= state.item.replies.length - 1) submit("choose");
  }

  async function send(path, body, message) {
    state.busy = true;
    document.body.dataset.state = "saving";
    setStatus("saving...");
    try {
      render(await api(path, body));
      setStatus(message);
    } catch (err) {
      if (err.status === 409) {  // judged in another tab, or nothing left: show where things stand
        render(await api("/api/next"));
      } else {
        document.body.dataset.state = "ready";
      }
      setStatus(err.error, true);
    } finally {
      state.busy = false;
    }
  }

  function submit(action) {
    if (!state.item || state.busy) return;
    const body = {
      judgement_id: newId(), item_id: state.item.item_id, action,
      ranking: action === "choose" ? state.ranking : [],
      ratings: state.ratings, comment: $("comment").value,
      seconds_spent: (performance.now() - state.shownAt) / 1000,
    };
    send("/api/judgement", body, action === "skip" ? "skipped" : "saved");
  }

  function undo() {
    if (state.busy) return;
    if (state.ranking.length) {  // a ranking under way: take back its last pick first
      state.ranking.pop();
      showRanking();
      return;
    }
    send("/api/undo", { judgement_id: newId() }, "undone");
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("textarea, input")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^[1-9]$/.test(event.key)) choose(Number(event.key) - 1);
    else if (event.key === "t") submit("tie");
    else if (event.key === "s") submit("skip");
    else if (event.key === "u") undo();
    else return;
    event.preventDefault();
  });
  $("tie").addEventListener("click", () => submit("tie"));
  $("skip").addEventListener("click", () => submit("skip"));
  $("undo").addEventListener("click", undo);

  api("/api/next").then(render).catch((err) => setStatus(err.error, true));
})();
