// The widget's browser code, built by `npm run build:widget` (esbuild, from widget/) into
// widget/dist, read once at start; and the frame page around the chat script, whose CSP decides
// which sites may frame it.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { problems } from "../../core/problem.ts";

export const WIDGET_DIST = path.resolve(import.meta.dirname, "../../../widget/dist");

export interface WidgetAssets {
  loader(): string;
  chat(): string;
  /** The frame's HTML and the Content-Security-Policy that must go with it. */
  frame(slug: string, allowedOrigins: readonly string[]): { html: string; csp: string };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loadWidgetAssets(dist = WIDGET_DIST): WidgetAssets {
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(dist, file), "utf8");
    } catch {
      return undefined;
    }
  };
  const files = { loader: read("loader.js"), chat: read("chat.js"), css: read("chat.css") };
  const built = (file: string | undefined) => {
    if (file === undefined) throw problems.notReady("The chat widget is not built on this server: run `npm run build:widget`.");
    return file;
  };
  return {
    loader: () => built(files.loader),
    chat: () => built(files.chat),
    frame(slug, allowedOrigins) {
      const css = built(files.css);
      const nonce = crypto.randomBytes(16).toString("base64");
      // Nothing but this server's own script and the inline style it nonces; only the allowed
      // sites may frame it (the browser enforces frame-ancestors, whatever the page claims).
      const csp = [
        "default-src 'none'",
        "script-src 'self'",
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        `frame-ancestors ${allowedOrigins.length > 0 ? allowedOrigins.join(" ") : "'none'"}`,
        "base-uri 'none'",
        "form-action 'none'",
      ].join("; ");
      const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>Chat</title>
<style nonce="${nonce}">${css}</style></head>
<body><main id="docket-chat" aria-live="polite"></main><script src="/widget/chat.js" data-tenant="${escapeHtml(slug)}"></script></body></html>
`;
      return { html, csp };
    },
  };
}
