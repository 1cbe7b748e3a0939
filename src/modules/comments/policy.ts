import type { TenantPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";

/** Internal comments exist only for agents and admins. */
export function canSeeComment(principal: TenantPrincipal, comment: { internal: boolean }): boolean {
  return !comment.internal || principal.role !== "user";
}

export function checkCanWriteInternal(principal: TenantPrincipal, internal: boolean): void {
  if (internal && principal.role === "user") throw problems.forbidden("Only agents and admins write internal comments.");
}

export function checkCanEdit(principal: TenantPrincipal, comment: { authorId: string }): void {
  if (comment.authorId !== principal.userId) throw problems.forbidden("Only its author edits a comment.");
}

export function checkCanDelete(principal: TenantPrincipal, comment: { authorId: string }): void {
  if (comment.authorId !== principal.userId && principal.role !== "admin") throw problems.forbidden("Only its author or an admin deletes a comment.");
}
