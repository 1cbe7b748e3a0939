// One catalogue of errors (RFC 9457 problem details). Services throw `Problem`s from the factories
// below; the error handler in errors.ts renders them and everything else.
export interface ProblemField {
  detail: string;
  pointer?: string;
  parameter?: string;
  header?: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: ProblemField[];
}

const TYPE_BASE = "https://docket.dev/problems/";

export class Problem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors: ProblemField[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, title: string, detail: string, options: { errors?: ProblemField[]; headers?: Record<string, string> } = {}) {
    super(detail);
    this.name = "Problem";
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  /** The `type` URI names the kind of problem; `code` is the same in snake case for switch statements. */
  get type(): string {
    return TYPE_BASE + this.code.replaceAll("_", "-");
  }

  toBody(extra: { instance?: string; requestId?: string } = {}): ProblemBody {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      code: this.code,
      detail: this.message,
      ...extra,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const problems = {
  validation: (detail: string, errors: ProblemField[]) => new Problem(400, "validation_failed", "Your request is not valid", detail, { errors }),
  invalidField: (pointer: string, detail: string) =>
    new Problem(400, "validation_failed", "Your request is not valid", `${pointer.slice(1) || "body"} ${detail}`, { errors: [{ pointer, detail }] }),
  invalidParameter: (parameter: string, detail: string) =>
    new Problem(400, "validation_failed", "Your request is not valid", `${parameter} ${detail}`, { errors: [{ parameter, detail }] }),
  malformed: (detail: string) => new Problem(400, "malformed_request", "Malformed request", detail),
  unauthorized: (detail: string) => new Problem(401, "unauthorized", "Authentication required", detail, { headers: { "www-authenticate": 'Bearer realm="docket"' } }),
  invalidCredentials: () => new Problem(401, "invalid_credentials", "Invalid credentials", "The tenant, email or password is wrong."),
  forbidden: (detail: string) => new Problem(403, "forbidden", "Not allowed", detail),
  notFound: (what: string, id?: string) => new Problem(404, "not_found", "Not found", id ? `No ${what} ${id}.` : `No ${what}.`),
  routeNotFound: (method: string, url: string) => new Problem(404, "route_not_found", "Not found", `No route for ${method} ${url}. The operations are listed at /docs.`),
  conflict: (code: string, detail: string, errors?: ProblemField[]) => new Problem(409, code, "Conflict", detail, { errors }),
  preconditionFailed: (detail: string) => new Problem(412, "precondition_failed", "Precondition failed", detail),
  payloadTooLarge: (limit: number) => new Problem(413, "payload_too_large", "Payload too large", `The body is larger than ${limit} bytes.`),
  unsupportedMediaType: (contentType: string | undefined) =>
    new Problem(415, "unsupported_media_type", "Unsupported media type", `Send the body as application/json${contentType ? `, not ${contentType}` : ""}.`),
  tooManyRequests: (retryAfterSeconds: number) =>
    new Problem(429, "rate_limited", "Too many requests", `Rate limit reached; retry in ${retryAfterSeconds} s.`, { headers: { "retry-after": String(retryAfterSeconds) } }),
  signedUrlInvalid: () => new Problem(403, "signed_url_invalid", "Invalid signed URL", "This URL's signature does not match; ask the API for a new one."),
  signedUrlExpired: () => new Problem(403, "signed_url_expired", "Signed URL expired", "This URL has expired; ask the API for a new one."),
  attachmentTooLarge: (limit: number) =>
    new Problem(413, "attachment_too_large", "Attachment too large", `Attachments of this tenant may be at most ${limit} bytes.`),
  tooManyFiles: (max: number) => new Problem(413, "too_many_files", "Too many files", `Send at most ${max} files per request.`),
  attachmentTypeNotAllowed: (contentType: string, allowed: readonly string[]) =>
    new Problem(415, "attachment_type_not_allowed", "Attachment type not allowed", `${contentType} is not an allowed attachment type here; allowed: ${allowed.join(", ")}.`),
  attachmentContentMismatch: (detail: string) => new Problem(422, "attachment_content_mismatch", "Attachment does not match its description", detail),
  uploadNotReceived: (uploadId: string) =>
    new Problem(409, "upload_not_received", "Upload not received", `Nothing has been uploaded for upload ${uploadId} yet; PUT the file to its URL first.`),
  webhookUrlRefused: (reason: string) =>
    new Problem(422, "webhook_url_refused", "Webhook URL not allowed", `url is not allowed: ${reason}.`, { errors: [{ pointer: "/url", detail: reason }] }),
  upgradeRequired: (detail: string) => new Problem(426, "upgrade_required", "Upgrade required", detail, { headers: { upgrade: "websocket", connection: "Upgrade" } }),
  aiUnavailable: (detail: string) => new Problem(502, "ai_unavailable", "Model unavailable", `The model could not answer: ${detail}`, { headers: { "retry-after": "5" } }),
  nothingToReview: (detail: string) => new Problem(422, "nothing_to_review", "Nothing to review", detail),
  notReady: (detail: string) => new Problem(503, "not_ready", "Service unavailable", detail),
  busy: () => new Problem(503, "busy", "Service busy", "Every database connection is busy; retry in a moment.", { headers: { "retry-after": "1" } }),
  untrustedHost: (host: string) =>
    new Problem(400, "untrusted_host", "Untrusted Host header", `This server does not answer to the host ${JSON.stringify(host)}, so it signs no links for it. Set PUBLIC_URL, or list the host in ALLOWED_HOSTS.`),
  idempotencyKeyInUse: () =>
    new Problem(409, "idempotency_key_in_use", "Idempotency key in use", "A request with this Idempotency-Key is still being processed; retry once it has finished.", { headers: { "retry-after": "1" } }),
  invalidToken: (detail: string) => new Problem(401, "invalid_token", "Invalid or expired link", detail),
  invalidEmail: (detail: string) => new Problem(400, "invalid_email", "Unreadable email", detail),
  invalidSignature: (detail: string) => new Problem(401, "invalid_signature", "Invalid signature", detail),
  replyAddressInvalid: (detail: string) => new Problem(422, "reply_address_invalid", "Unknown reply address", detail),
  inboundEmailDisabled: () => new Problem(404, "inbound_email_disabled", "Not found", "Inbound email is not configured on this server (set INBOUND_EMAIL_SECRET)."),
  originNotAllowed: (origin: string) => new Problem(403, "origin_not_allowed", "Origin not allowed", `${origin} may not embed this chat: add it to the widget's allowed origins.`),
  messageTooLong: (limit: number) => new Problem(413, "message_too_long", "Message too long", `A chat message may be at most ${limit} characters.`),
  internal: () => new Problem(500, "internal_error", "Internal server error", "Something went wrong on our side. Quote the requestId when you report it."),
};
