// Who sees and deletes which attachment, beyond the ticket's own rules (tickets/policy.ts).
import type { TenantPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";
import { canSeeComment } from "../comments/policy.ts";

/** An attachment on an internal comment is as internal as the comment. */
export function canSeeAttachment(principal: TenantPrincipal, attachment: { comment: { internal: boolean } | null }): boolean {
  return attachment.comment === null || canSeeComment(principal, attachment.comment);
}

export function checkCanDelete(principal: TenantPrincipal, attachment: { uploaderId: string }): void {
  if (attachment.uploaderId !== principal.userId && principal.role !== "admin") throw problems.forbidden("Only its uploader or an admin deletes an attachment.");
}
