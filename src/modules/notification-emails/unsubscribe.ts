// One-click unsubscribe (RFC 8058): POST to the List-Unsubscribe URL of a notification email, no
// login, turns off the email channel of the kinds that email was about, as the person's own
// preference (security notices stay on: they cannot be turned off).
import type { Database } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { UserPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import type { UnsubscribeTokens } from "../../mail/unsubscribe-token.ts";
import { isSecurityKind, NOTIFICATION_KINDS, type NotificationKind } from "../notifications/kinds.ts";
import type { NotificationService } from "../notifications/service.ts";

export function createUnsubscribeService(deps: { system: Database; tokens: UnsubscribeTokens; notifications: NotificationService }) {
  return {
    async unsubscribe(token: string): Promise<Schemas["EmailUnsubscription"]> {
      const invalid = problems.invalidToken("This unsubscribe link is not valid; change your notification preferences in the app instead.");
      const what = deps.tokens.verify(token);
      if (!what) throw invalid;
      const user = await deps.system.user.findUnique({ where: { tenantId_id: { tenantId: what.tenantId, id: what.userId } } });
      if (!user) throw invalid;
      const kinds = what.kinds.filter((kind): kind is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(kind) && !isSecurityKind(kind as NotificationKind));
      const principal: UserPrincipal = { kind: "user", tenantId: user.tenantId, userId: user.id, role: user.role, sessionId: "" };
      await tenantScope.run(user.tenantId, () => deps.notifications.updatePreferences(principal, kinds.map((kind) => ({ kind, channel: "email" as const, enabled: false }))));
      return { channel: "email", kinds };
    },
  };
}

export type UnsubscribeService = ReturnType<typeof createUnsubscribeService>;
