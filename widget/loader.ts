// The loader a site pastes in: `<script src="https://api…/widget.js" data-tenant="acme" async>`.
// It adds a launcher button (in a closed shadow root, so the site's CSS cannot touch it) and, only
// when opened, the chat's frame, served by the API from its own origin: the site's scripts cannot
// reach into it, and it cannot reach into the site. The two talk by postMessage only, each
// checking the other's origin.
import { pickLocale, translator } from "./strings.ts";

interface Identity {
  identityToken?: string;
  userId?: string;
  userHash?: string;
  name?: string;
  email?: string;
}

interface DocketWidgetApi {
  open(): void;
  close(): void;
  /** Who the visitor is, signed by the site's backend (call before opening). */
  identify(identity: Identity): void;
}

declare global {
  interface Window {
    DocketWidget?: DocketWidgetApi;
  }
}

(() => {
  const script = document.currentScript as HTMLScriptElement | null;
  const tenant = script?.dataset.tenant;
  if (!script || !tenant || window.DocketWidget) return;
  const base = new URL(script.src).origin;
  const data = script.dataset;
  let identity: Identity = {};
  for (const [key, attribute] of [["identityToken", data.identityToken], ["userId", data.userId], ["userHash", data.userHash], ["name", data.name], ["email", data.email]] as const) {
    if (attribute) identity[key] = attribute;
  }
  const t = translator(pickLocale(navigator.languages ?? [navigator.language]));
  const accent = /^#[0-9a-f]{6}$/i.test(data.color ?? "") ? data.color! : "#1f6feb";

  const host = document.createElement("div");
  host.setAttribute("data-docket-widget", tenant);
  const root = host.attachShadow({ mode: "closed" });
  const style = document.createElement("style");
  style.textContent = `
:host{all:initial}
button{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:${accent};color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center}
button:focus-visible{outline:3px solid #000;outline-offset:2px}
iframe{position:fixed;right:20px;bottom:88px;width:min(380px,calc(100vw - 40px));height:min(600px,calc(100vh - 120px));border:0;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff;z-index:2147483000}
iframe[hidden]{display:none}`;
  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.setAttribute("aria-label", t("launcher"));
  launcher.setAttribute("aria-expanded", "false");
  const CHAT_ICON = '<svg width="26" height="26" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  const CLOSE_ICON = '<svg width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  launcher.innerHTML = CHAT_ICON;
  root.append(style, launcher);

  let frame: HTMLIFrameElement | undefined;
  let opened = false;

  const post = (message: object) => frame?.contentWindow?.postMessage(message, base);
  const hello = () => post({ type: "docket:hello", identity, open: opened });

  function open(): void {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = t("title");
      frame.src = `${base}/widget/frame?tenant=${encodeURIComponent(tenant!)}`;
      frame.setAttribute("allow", "clipboard-write");
      root.append(frame);
    }
    opened = true;
    frame.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", t("close"));
    launcher.innerHTML = CLOSE_ICON;
    post({ type: "docket:open" });
  }

  function close(): void {
    opened = false;
    if (frame) frame.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", t("launcher"));
    launcher.innerHTML = CHAT_ICON;
    post({ type: "docket:closed" });
  }

  launcher.addEventListener("click", () => (opened ? close() : open()));
  // Only the frame we made, from the API's origin, is listened to.
  window.addEventListener("message", (event) => {
    if (!frame || event.origin !== base || event.source !== frame.contentWindow) return;
    const type = (event.data as { type?: unknown } | null)?.type;
    if (type === "docket:ready") hello();
    else if (type === "docket:close") close();
    // The site's page listens for this to sign a fresh identity and call DocketWidget.identify().
    else if (type === "docket:identity-needed") window.dispatchEvent(new CustomEvent("docket-widget:identity-needed"));
    else if (type === "docket:appearance") {
      const { accentColor, textColor } = event.data as { accentColor?: unknown; textColor?: unknown };
      const colour = (value: unknown) => (typeof value === "string" && /^#[0-9a-f]{6}$/i.test(value) ? value : undefined);
      if (colour(accentColor)) launcher.style.background = colour(accentColor)!;
      if (colour(textColor)) launcher.style.color = colour(textColor)!;
    }
  });

  window.DocketWidget = {
    open,
    close,
    identify(next) {
      identity = { ...next };
      if (frame) hello();
    },
  };
  (document.body ?? document.documentElement).append(host);
})();
