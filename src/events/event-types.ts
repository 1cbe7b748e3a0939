// Every event type the log holds, and what each means: for GET /v1/webhooks/event-types (and, in
// openapi.yaml's `webhooks:` section, the same words beside each payload's schema). The list of
// types is this table's keys, so a type cannot exist without its description.

export const EVENT_TYPE_DESCRIPTIONS = {
  "tenant.created": "The tenant was created.",
  "tenant.updated": "The tenant's name or settings changed.",
  "tenant.suspended": "The platform operator suspended the tenant.",
  "tenant.reactivated": "The platform operator reactivated the tenant.",
  "tenant.deleted": "The platform operator deleted the tenant.",
  "user.created": "A user was added.",
  "user.updated": "A user's name, email or skills changed.",
  "user.role_changed": "A user's role changed.",
  "user.deactivated": "A user was deactivated.",
  "user.reactivated": "A user was reactivated.",
  "user.invited": "An admin invited someone by email to join the tenant.",
  "auth.logged_in": "A user logged in.",
  "auth.logged_out": "A user logged out.",
  "auth.password_reset": "A user set a new password through a password-reset link; their sessions were ended.",
  "auth.refresh_token_reused": "A refresh token was presented twice; its session was revoked.",
  "api_key.created": "An admin created an API key.",
  "api_key.revoked": "An admin revoked an API key.",
  "ticket.created": "A ticket was created.",
  "ticket.updated": "A ticket's fields changed.",
  "ticket.status_changed": "A ticket moved to another status.",
  "ticket.assigned": "A ticket was assigned or unassigned.",
  "ticket.deleted": "A ticket was deleted.",
  "ticket.restored": "A deleted ticket was restored.",
  "ticket.triaged": "A new ticket was triaged (staff only: never sent to the requester).",
  "ticket.summarized": "A summary of a ticket's discussion was generated (staff only).",
  "comment.created": "A comment was added to a ticket.",
  "comment.updated": "A comment was edited.",
  "comment.deleted": "A comment was deleted.",
  "attachment.created": "A file was attached to a ticket.",
  "attachment.deleted": "An attachment was deleted.",
  "qa_review.created": "A QA review of an agent's replies was requested and scored (staff only).",
  "qa_review.decided": "A reviewer approved or rejected a QA review (staff only).",
  "webhook.created": "A webhook endpoint was added.",
  "webhook.updated": "A webhook endpoint's URL, description, event types or active flag changed.",
  "webhook.deleted": "A webhook endpoint was deleted.",
  "webhook.secret_rotated": "A webhook endpoint's signing secret was rotated.",
  "webhook.endpoint_disabled": "The server disabled a webhook endpoint (it answered 410 Gone, or every attempt failed for days).",
  "webhook.test": "A test event sent by POST /v1/webhooks/{webhookId}/ping, to that endpoint only.",
} as const satisfies Record<string, string>;

export type EventType = keyof typeof EVENT_TYPE_DESCRIPTIONS;
export const EVENT_TYPES = Object.keys(EVENT_TYPE_DESCRIPTIONS) as EventType[];
