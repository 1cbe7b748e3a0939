// The chat panel, inside the frame the API serves (/widget/frame). It learns its page's origin
// from the loader's postMessage (the browser sets event.origin; the server checks it against the
// tenant's allowed origins), opens a visitor session, and talks to the API as that visitor: the
// conversation is a ticket with channel `chat`, messages are its public comments, files its
// attachments, and typing, read receipts and presence come over the live stream.
// Nothing a visitor or an agent wrote is ever parsed as HTML: text goes in with textContent.
import { pickLocale, translator, type Overrides, type StringKey } from "./strings.ts";

interface Appearance {
  accentColor?: string;
  textColor?: string;
  greeting?: Record<string, string>;
  strings?: Overrides;
}
interface Session {
  accessToken: string;
  expiresIn: number;
  resumeToken: string | null;
  visitor: { id: string; kind: string; name: string; followUpEmail: string | null };
  widget: { tenantName: string; identity: string; appearance: Appearance };
  availability: { agentsOnline: boolean; withinBusinessHours: boolean };
  maxMessageLength: number;
}
interface Ticket {
  id: string;
  channel: string;
  status: string;
  createdAt: string;
}
interface Comment {
  id: string;
  authorId: string;
  body: string;
  internal: boolean;
  deleted: boolean;
  createdAt: string;
}
interface Attachment {
  id: string;
  filename: string;
  size: number;
  uploaderId: string;
  createdAt: string;
  downloadUrl: string;
}
interface Problem {
  status: number;
  code?: string;
  detail?: string;
}

const tenant = (document.currentScript as HTMLScriptElement | null)?.dataset.tenant ?? "";
const root = document.getElementById("docket-chat")!;
const RESUME_KEY = `docket-widget:${tenant}:resume`;

let t = translator(pickLocale(navigator.languages ?? [navigator.language]));
let locale = "en";
let session: Session | undefined;
let identity: Record<string, string> = {};
let pageOrigin: string | undefined;
let ticketId: string | undefined;
let lastEventId: string | undefined;
let socket: WebSocket | undefined;
let reconnectDelay = 1_000;
let renewTimer: number | undefined;
let typingSentAt = 0;
let typingUntil = 0;
let readUpTo: string | undefined;
let sentRead: string | undefined;
let unsentRead: string | undefined;

// ---- the DOM, built once ----------------------------------------------------------------------

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const header = el("header");
const title = el("h1");
const status = el("p", "status");
const closeButton = el("button", "close", "×");
closeButton.type = "button";
header.append(title, status, closeButton);
const banner = el("section", "banner");
banner.hidden = true;
const list = el("ol", "messages");
const typing = el("p", "typing");
typing.hidden = true;
const progress = el("p", "progress");
progress.hidden = true;
const notice = el("p", "notice");
notice.hidden = true;
const suggestions = el("section", "suggestions");
suggestions.hidden = true;
const composer = el("form", "composer");
const input = el("textarea");
input.rows = 2;
const fileInput = el("input");
fileInput.type = "file";
fileInput.hidden = true;
/** A paperclip (an emoji may be missing from the visitor's fonts). */
function clipIcon(): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z");
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

const attachButton = el("button", "attach");
attachButton.type = "button";
attachButton.append(clipIcon());
const sendButton = el("button", "send");
sendButton.type = "submit";
composer.append(input, fileInput, attachButton, sendButton);

function applyStrings(): void {
  closeButton.setAttribute("aria-label", t("close"));
  input.placeholder = t("placeholder");
  input.setAttribute("aria-label", t("placeholder"));
  attachButton.setAttribute("aria-label", t("attach"));
  attachButton.title = t("attach");
  sendButton.textContent = t("send");
  typing.textContent = t("typing");
}

function showFatal(key: StringKey): void {
  root.replaceChildren(el("p", "fatal", t(key)));
  root.dataset.state = "refused";
}

function showNotice(text: string | undefined): void {
  notice.hidden = text === undefined;
  notice.textContent = text ?? "";
}

// ---- the API ----------------------------------------------------------------------------------

async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, renewed = false): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { ...(session ? { authorization: `Bearer ${session.accessToken}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401 && session && !renewed && !path.includes("/widget/sessions")) {
    // The token ran out (or the session was ended): a new session, then once more.
    await startSession();
    return api(method, path, body, headers, true);
  }
  const data = response.status === 204 ? undefined : await response.json().catch(() => undefined);
  if (!response.ok) throw { status: response.status, ...(data as object) } as Problem;
  return data as T;
}

/** Retries what failed on the way (not what the server refused), with the same Idempotency-Key. */
async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let delay = 500; ; delay *= 2) {
    try {
      return await attempt();
    } catch (error) {
      const problem = error as Problem;
      if (typeof problem.status === "number" && problem.status < 500 && problem.status !== 429 && problem.status !== 409) throw error;
      if (delay > 8_000) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function startSession(): Promise<void> {
  const resumeToken = safeStorage("get");
  const body: Record<string, string> = { ...identity, locale };
  if (pageOrigin) body.pageOrigin = pageOrigin;
  if (resumeToken && !identity.identityToken && !identity.userId) body.resumeToken = resumeToken;
  const previous = session;
  session = undefined;
  try {
    session = await api<Session>("POST", `/v1/public/${encodeURIComponent(tenant)}/widget/sessions`, body);
  } catch (error) {
    session = previous;
    // A signed identity lives an hour at most: the page is asked for a fresh one (DocketWidget.identify).
    if ((error as Problem).status === 401 && (identity.identityToken || identity.userId) && pageOrigin) window.parent.postMessage({ type: "docket:identity-needed" }, pageOrigin);
    throw error;
  }
  if (session.resumeToken) safeStorage("set", session.resumeToken);
  window.clearTimeout(renewTimer);
  // Renewed before it ends, so a quiet panel never meets an expired token.
  renewTimer = window.setTimeout(() => void startSession().then(() => reconnect()).catch(() => {}), session.expiresIn * 800);
}

function safeStorage(action: "get" | "set", value?: string): string | null {
  try {
    if (action === "set") localStorage.setItem(RESUME_KEY, value!);
    return localStorage.getItem(RESUME_KEY);
  } catch {
    return null; // storage blocked (third-party frame settings): anonymous history lasts the page
  }
}

// ---- the conversation -------------------------------------------------------------------------

interface Row {
  item: HTMLLIElement;
  meta: HTMLElement;
  mine: boolean;
  at: string;
}
const rows = new Map<string, Row>();

function formatTime(iso: string): string {
  try {
    return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
  } catch {
    return "";
  }
}

/** Adds (or finds) a message row, in time order. */
function addRow(key: string, mine: boolean, at: string, fill: (bubble: HTMLElement) => void): Row {
  const existing = rows.get(key);
  if (existing) return existing;
  const item = el("li", mine ? "message mine" : "message theirs");
  const bubble = el("div", "bubble");
  fill(bubble);
  const meta = el("small", "meta", formatTime(at));
  item.append(bubble, meta);
  item.dataset.at = at;
  const row = { item, meta, mine, at };
  rows.set(key, row);
  const after = [...list.children].find((other) => (other as HTMLElement).dataset.at! > at);
  list.insertBefore(item, after ?? null);
  list.scrollTop = list.scrollHeight;
  return row;
}

/** `refresh: false` when showing a whole history, which refreshes the receipts once at its end. */
function showComment(comment: Comment, refresh = true): void {
  if (comment.internal || comment.deleted) return;
  const mine = comment.authorId === session?.visitor.id;
  addRow(comment.id, mine, comment.createdAt, (bubble) => (bubble.textContent = comment.body));
  if (!mine) markRead(comment.id);
  if (refresh) refreshReceipts();
}

function showAttachment(attachment: Attachment): void {
  const mine = attachment.uploaderId === session?.visitor.id;
  addRow(`attachment:${attachment.id}`, mine, attachment.createdAt, (bubble) => {
    const link = el("a", "file");
    link.append(clipIcon(), document.createTextNode(attachment.filename));
    link.href = attachment.downloadUrl;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    bubble.append(link);
  });
}

/** "Seen" under the visitor's messages up to the agent's read marker. */
function refreshReceipts(): void {
  const marked = readUpTo ? rows.get(readUpTo) : undefined;
  for (const row of rows.values()) {
    if (!row.mine || row.meta.dataset.state === "sending" || row.meta.dataset.state === "failed") continue;
    const seen = marked !== undefined && row.at <= marked.at;
    row.meta.textContent = `${formatTime(row.at)} · ${t(seen ? "seen" : "sent")}`;
    row.meta.dataset.state = seen ? "seen" : "sent";
  }
}

function markRead(commentId: string): void {
  if (!ticketId || sentRead === commentId || document.hidden) return;
  // Not yet connected (the history loads first): sent once the stream is subscribed.
  if (socket?.readyState !== WebSocket.OPEN) return void (unsentRead = commentId);
  sentRead = commentId;
  unsentRead = undefined;
  socket.send(JSON.stringify({ type: "read", ticketId, commentId }));
}

async function loadConversation(): Promise<void> {
  const tickets = await api<{ data: Ticket[] }>("GET", "/v1/tickets?limit=20&sort=-createdAt");
  // The latest chat still going on; a solved one leaves its history visible, a new message starts another.
  const current = tickets.data.find((ticket) => ticket.channel === "chat");
  if (!current) return;
  // A closed conversation takes no more messages: its history shows, the next message starts anew.
  if (current.status !== "closed") ticketId = current.id;
  await loadHistory(current.id);
}

async function loadHistory(id: string): Promise<void> {
  const [comments, attachments, markers] = await Promise.all([
    api<{ data: Comment[] }>("GET", `/v1/tickets/${id}/comments?limit=100`),
    api<{ data: Attachment[] }>("GET", `/v1/tickets/${id}/attachments`),
    api<{ data: Array<{ userId: string; commentId: string }> }>("GET", `/v1/tickets/${id}/read-markers`),
  ]);
  for (const comment of comments.data) showComment(comment, false);
  for (const attachment of attachments.data) showAttachment(attachment);
  const theirs = markers.data.find((marker) => marker.userId !== session?.visitor.id);
  if (theirs) readUpTo = theirs.commentId;
  refreshReceipts();
}

// ---- sending ----------------------------------------------------------------------------------

async function ensureTicket(firstWords: string, clientId: string): Promise<string> {
  if (ticketId) return ticketId;
  const title = firstWords.replace(/\s+/g, " ").trim().slice(0, 80) || t("title");
  const ticket = await withRetries(() => api<Ticket>("POST", "/v1/tickets", { title, channel: "chat" }, { "idempotency-key": `${clientId}:conversation` }));
  ticketId = ticket.id;
  subscribe();
  return ticket.id;
}

async function send(text: string, clientId = crypto.randomUUID(), existing?: Row): Promise<void> {
  const row = existing ?? addRow(`pending:${clientId}`, true, new Date().toISOString(), (bubble) => (bubble.textContent = text));
  row.meta.textContent = t("sending");
  row.meta.dataset.state = "sending";
  row.item.onclick = null;
  try {
    const id = await ensureTicket(text, clientId);
    // The client's id is the Idempotency-Key: a retry after a lost answer cannot post it twice.
    const comment = await withRetries(() => api<Comment>("POST", `/v1/tickets/${id}/comments`, { body: text }, { "idempotency-key": clientId }));
    rows.delete(`pending:${clientId}`);
    if (rows.has(comment.id)) row.item.remove();
    else {
      rows.set(comment.id, { ...row, at: comment.createdAt });
      row.item.dataset.at = comment.createdAt;
    }
    row.meta.dataset.state = "sent";
    refreshReceipts();
  } catch (error) {
    const problem = error as Problem;
    row.meta.dataset.state = "failed";
    row.meta.textContent = problem.code === "message_too_long" ? t("tooLong", { max: session?.maxMessageLength ?? 0 }) : t("failed");
    row.item.onclick = () => void send(text, clientId, row);
  }
}

function upload(file: File): void {
  void (async () => {
    const id = await ensureTicket(file.name, crypto.randomUUID());
    const form = new FormData();
    form.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", `/v1/tickets/${id}/attachments/files`);
    request.setRequestHeader("authorization", `Bearer ${session!.accessToken}`);
    progress.hidden = false;
    progress.textContent = t("uploading", { name: file.name, percent: 0 });
    request.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      progress.textContent = t("uploading", { name: file.name, percent });
      progress.dataset.percent = String(percent);
    };
    request.onload = () => {
      if (request.status === 201) {
        progress.hidden = true;
        for (const attachment of (JSON.parse(request.responseText) as { data: Attachment[] }).data) showAttachment(attachment);
      } else progress.textContent = t("uploadFailed", { name: file.name });
    };
    request.onerror = () => (progress.textContent = t("uploadFailed", { name: file.name }));
    request.send(form);
  })();
}

// ---- live: the stream, resumed after a drop from the last event seen ---------------------------

function subscribe(): void {
  if (!ticketId || socket?.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: "subscribe", id: "chat", topic: { kind: "ticket", ticketId }, ...(lastEventId ? { after: lastEventId } : {}) }));
}

function reconnect(): void {
  socket?.close(1000);
}

async function connect(): Promise<void> {
  let url: string;
  try {
    url = (await api<{ url: string }>("POST", "/v1/stream/tickets")).url;
  } catch {
    return void scheduleReconnect();
  }
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${url}`, ["docket.v1"]);
  socket = ws;
  ws.onopen = () => {
    reconnectDelay = 1_000;
    root.dataset.live = "yes";
    showNotice(undefined);
  };
  ws.onmessage = (message) => onServerMessage(JSON.parse(String(message.data)) as Record<string, unknown>);
  ws.onclose = (event) => {
    if (socket !== ws) return;
    root.dataset.live = "no";
    if (event.code === 4003) return void startSession().then(() => connect(), () => showFatal("verifiedOnly"));
    if (event.code !== 1000) showNotice(t("reconnecting"));
    scheduleReconnect();
  };
}

function scheduleReconnect(): void {
  const delay = reconnectDelay;
  reconnectDelay = Math.min(reconnectDelay * 2, 15_000);
  window.setTimeout(() => void connect(), delay);
}

function onServerMessage(message: Record<string, unknown>): void {
  switch (message.type) {
    case "welcome":
      return subscribe();
    case "subscribed":
      lastEventId ??= (message.resumeAfter as string | null) ?? undefined;
      if (unsentRead) markRead(unsentRead);
      return;
    case "event": {
      const event = message.event as { id: string; type: string; data: unknown };
      lastEventId = event.id;
      if (event.type === "comment.created" && event.data) showComment(event.data as Comment);
      if (event.type === "attachment.created" && event.data) void refreshAttachments();
      return;
    }
    case "typing":
      if (message.userId !== session?.visitor.id && !message.internal) {
        typingUntil = Date.parse(message.expiresAt as string);
        typing.hidden = false;
        window.setTimeout(() => (typing.hidden = Date.now() >= typingUntil), Math.max(0, typingUntil - Date.now()) + 50);
      }
      return;
    case "read":
      if (message.userId !== session?.visitor.id) {
        readUpTo = message.commentId as string;
        refreshReceipts();
      }
      return;
    case "presence": {
      const staff = (message.viewers as Array<{ role: string }>).some((viewer) => viewer.role !== "user");
      status.textContent = staff ? t("viewing") : session?.availability.agentsOnline ? t("online") : "";
      status.dataset.presence = staff ? "viewing" : "";
      return;
    }
    case "error":
      if (message.code === "unknown_resume_point") {
        lastEventId = undefined;
        if (ticketId) void loadHistory(ticketId).then(subscribe);
      }
      return;
  }
}

async function refreshAttachments(): Promise<void> {
  if (!ticketId) return;
  const attachments = await api<{ data: Attachment[] }>("GET", `/v1/tickets/${ticketId}/attachments`);
  for (const attachment of attachments.data) showAttachment(attachment);
}

// ---- nobody there: say so, and offer an email follow-up ---------------------------------------

function showAvailability(): void {
  const { agentsOnline, withinBusinessHours } = session!.availability;
  status.textContent = agentsOnline && withinBusinessHours ? t("online") : "";
  if (agentsOnline && withinBusinessHours) return void (banner.hidden = true);
  banner.replaceChildren();
  banner.append(el("p", "away", t(withinBusinessHours ? "offline" : "outsideHours")));
  const saved = session!.visitor.followUpEmail;
  if (saved) return void (banner.append(el("p", "saved", t("emailSaved", { email: saved }))), (banner.hidden = false));
  const form = el("form", "follow-up");
  form.append(el("label", undefined, t("leaveEmail")));
  const email = el("input");
  email.type = "email";
  email.required = true;
  email.placeholder = t("emailPlaceholder");
  email.setAttribute("aria-label", t("emailPlaceholder"));
  const save = el("button", undefined, t("saveEmail"));
  save.type = "submit";
  form.append(email, save);
  form.onsubmit = (event) => {
    event.preventDefault();
    void api<Session["visitor"]>("PUT", "/v1/widget/visitor", { followUpEmail: email.value }).then((visitor) => {
      session!.visitor = visitor;
      showAvailability();
    });
  };
  banner.append(form);
  banner.hidden = false;
}

// ---- suggested articles while the visitor types, before a conversation starts ----------------

interface Hit {
  id: string;
  title: string;
  snippet: string;
}
let suggestTimer: number | undefined;
let suggestedFor = "";

/** Text only: HTML from the help center is parsed inertly and only its text is shown. */
function plainText(html: string): string {
  const body = new DOMParser().parseFromString(html, "text/html").body;
  for (const hidden of body.querySelectorAll("script, style, template, noscript")) hidden.remove();
  return body.textContent ?? "";
}

function suggest(text: string): void {
  window.clearTimeout(suggestTimer);
  if (ticketId || text.length < 3) return void (suggestions.hidden = true);
  suggestTimer = window.setTimeout(() => {
    if (text === suggestedFor) return;
    suggestedFor = text;
    void api<{ data: Hit[] }>("POST", `/v1/public/${encodeURIComponent(tenant)}/help-center/suggestions`, { text: text.slice(0, 500), locale, limit: 3 })
      .then((found) => showSuggestions(found.data))
      .catch(() => (suggestions.hidden = true)); // no help center: nothing to suggest
  }, 350);
}

function showSuggestions(hits: Hit[]): void {
  suggestions.replaceChildren();
  if (hits.length === 0 || ticketId) return void (suggestions.hidden = true);
  suggestions.append(el("p", "suggested", t("suggested")));
  const items = el("ul");
  for (const hit of hits) {
    const item = el("li");
    const open = el("button", "article", hit.title);
    open.type = "button";
    const preview = el("p", "article-text", plainText(hit.snippet));
    open.onclick = () =>
      void api<{ title: string; body: string }>("GET", `/v1/public/${encodeURIComponent(tenant)}/help-center/articles/${hit.id}`).then((article) => {
        preview.textContent = plainText(article.body);
        preview.dataset.full = "yes";
      });
    item.append(open, preview);
    items.append(item);
  }
  suggestions.append(items);
  suggestions.hidden = false;
}

// ---- start ------------------------------------------------------------------------------------

function applyAppearance(appearance: Appearance): void {
  locale = pickLocale(navigator.languages ?? [navigator.language]);
  t = translator(locale, appearance.strings ?? {});
  document.documentElement.lang = locale;
  if (appearance.accentColor) document.documentElement.style.setProperty("--accent", appearance.accentColor);
  if (appearance.textColor) document.documentElement.style.setProperty("--on-accent", appearance.textColor);
  applyStrings();
}

async function start(): Promise<void> {
  locale = pickLocale(navigator.languages ?? [navigator.language]);
  try {
    await startSession();
  } catch (error) {
    const problem = error as Problem;
    return showFatal(problem.status === 403 ? "notAllowed" : problem.status === 401 ? "verifiedOnly" : "unavailable");
  }
  const { widget } = session!;
  applyAppearance(widget.appearance);
  // The launcher on the page takes the tenant's colours too.
  if (pageOrigin) window.parent.postMessage({ type: "docket:appearance", accentColor: widget.appearance.accentColor, textColor: widget.appearance.textColor }, pageOrigin);
  title.textContent = widget.tenantName;
  const greeting = widget.appearance.greeting?.[locale] ?? widget.appearance.greeting?.en ?? t("greeting");
  root.replaceChildren(header, banner, el("p", "greeting", greeting), list, typing, progress, notice, suggestions, composer);
  showAvailability();
  await loadConversation().catch(() => showNotice(t("unavailable")));
  root.dataset.state = "ready";
  void connect();
}

composer.onsubmit = (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  if ([...text].length > (session?.maxMessageLength ?? Infinity)) return showNotice(t("tooLong", { max: session!.maxMessageLength }));
  showNotice(undefined);
  input.value = "";
  window.clearTimeout(suggestTimer);
  suggestions.hidden = true;
  void send(text);
};
input.onkeydown = (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    composer.requestSubmit();
  }
};
input.oninput = () => {
  suggest(input.value.trim());
  // At most one typing signal per 2 s (the server coalesces too).
  if (!ticketId || Date.now() - typingSentAt < 2_000 || socket?.readyState !== WebSocket.OPEN) return;
  typingSentAt = Date.now();
  socket.send(JSON.stringify({ type: "typing", ticketId }));
};
attachButton.onclick = () => fileInput.click();
fileInput.onchange = () => {
  for (const file of fileInput.files ?? []) upload(file);
  fileInput.value = "";
};
closeButton.onclick = () => window.parent.postMessage({ type: "docket:close" }, pageOrigin ?? "*");
document.addEventListener("visibilitychange", () => {
  const last = [...rows.entries()].reverse().find(([, row]) => !row.mine);
  if (last && !last[0].startsWith("attachment:")) markRead(last[0]);
});

// The handshake: we say we are ready; the page that framed us answers with who the visitor is.
// Its origin comes from the browser, and must be the page that framed us (ancestorOrigins).
let started = false;
window.addEventListener("message", (event) => {
  if (event.source !== window.parent) return;
  const data = event.data as { type?: string; identity?: Record<string, string> } | null;
  if (data?.type !== "docket:hello") return;
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (ancestors && ancestors.length > 0 && ancestors[0] !== event.origin) return;
  const nextIdentity = Object.fromEntries(Object.entries(data.identity ?? {}).filter(([, value]) => typeof value === "string"));
  const changed = JSON.stringify(nextIdentity) !== JSON.stringify(identity);
  pageOrigin = event.origin;
  identity = nextIdentity;
  if (!started) {
    started = true;
    void start();
  } else if (changed) void startSession().then(() => reconnect(), () => showFatal("verifiedOnly"));
});
applyStrings();
window.parent.postMessage({ type: "docket:ready" }, "*");
