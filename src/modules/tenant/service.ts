// Tenants as their own members see them, and the one way a tenant comes to exist (with its first
// admin), shared by self-service signup and the platform operator.
import type { Database, Db } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { actorOf, appendEvent, changedFields, type RequestContext } from "../../events/event-log.ts";
import { problems } from "../../core/problem.ts";
import type { Tenant as TenantRow, User as UserRow } from "../../generated/prisma/client.ts";
import { hashPassword } from "../auth/passwords.ts";
import { toUser } from "../users/representation.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import { checkCanUpdate } from "./policy.ts";
import { toTenant, type Tenant, type TenantSettings } from "./representation.ts";

export interface NewTenant {
  /** Chosen by the caller when its transaction is scoped to the new tenant (signup); else generated. */
  id?: string;
  name: string;
  slug: string;
  settings?: TenantSettings;
  admin: { name: string; email: string; password: string };
}

function checkSettings(settings: TenantSettings | undefined, pointer: string): void {
  if (settings?.timezone === undefined) return;
  try {
    new Intl.DateTimeFormat("en", { timeZone: settings.timezone });
  } catch {
    throw problems.invalidField(`${pointer}/timezone`, `is not a known IANA time zone (e.g. Europe/Paris), got "${settings.timezone}"`);
  }
}

/** Name and settings (merged), with a tenant.updated event when anything changed. */
async function updateIn(tx: Db, tenantId: string, context: RequestContext, input: { name?: string; settings?: TenantSettings }): Promise<Tenant> {
  const current = await tx.tenant.findUnique({ where: { id: tenantId } });
  if (!current) throw problems.notFound("tenant");
  const updated = await tx.tenant.update({
    where: { id: tenantId },
    data: {
      name: input.name,
      settings: input.settings ? { ...(current.settings as TenantSettings), ...input.settings } : undefined,
    },
  });
  const diff = changedFields(toTenant(current), toTenant(updated));
  if (Object.keys(diff.after).length > 0) {
    await appendEvent(tx, context, { tenantId, type: "tenant.updated", entity: { type: "tenant", id: tenantId }, ...diff });
  }
  return toTenant(updated);
}

export function createTenantService(db: Database) {
  return {
    /** Creates the tenant and its admin in the caller's transaction; 409 when the slug is taken. */
    async createWithAdmin(tx: Db, context: RequestContext, input: NewTenant): Promise<{ tenant: TenantRow; admin: UserRow }> {
      checkSettings(input.settings, "/settings");
      const passwordHash = await hashPassword(input.admin.password);
      let tenant: TenantRow;
      try {
        tenant = await tx.tenant.create({ data: { id: input.id, name: input.name, slug: input.slug, settings: input.settings ?? {} } });
      } catch (error) {
        if (isUniqueViolation(error, "slug")) throw problems.conflict("slug_taken", `The slug "${input.slug}" is taken.`);
        throw error;
      }
      const admin = await tx.user.create({
        data: { tenantId: tenant.id, email: input.admin.email.toLowerCase(), name: input.admin.name, role: "admin", passwordHash },
      });
      // The tenant's creator is its new admin when signing up; the operator otherwise.
      const actorContext: RequestContext = context.actor.type === "system" ? { ...context, actor: { type: "user", id: admin.id } } : context;
      await appendEvent(tx, actorContext, { tenantId: tenant.id, type: "tenant.created", entity: { type: "tenant", id: tenant.id }, after: toTenant(tenant) });
      await appendEvent(tx, actorContext, { tenantId: tenant.id, type: "user.created", entity: { type: "user", id: admin.id }, after: toUser(admin) });
      return { tenant, admin };
    },

    async get(tenantId: string): Promise<Tenant> {
      const tenant = await db.tenant.findUnique({ where: { id: tenantId } });
      if (!tenant) throw problems.notFound("tenant");
      return toTenant(tenant);
    },

    /** PATCH /tenant: an admin changes their own tenant. */
    async updateOwn(principal: TenantPrincipal, input: { name?: string; settings?: TenantSettings }, requestId?: string): Promise<Tenant> {
      checkCanUpdate(principal);
      return this.update(principal.tenantId, { actor: actorOf(principal), requestId }, input);
    },

    /** In the caller's transaction when given one (the platform changes status in the same one). */
    async update(tenantId: string, context: RequestContext, input: { name?: string; settings?: TenantSettings }, inTransaction?: Db): Promise<Tenant> {
      checkSettings(input.settings, "/settings");
      const run = (tx: Db) => updateIn(tx, tenantId, context, input);
      return inTransaction ? run(inTransaction) : db.$transaction(run);
    },
  };
}

export type TenantService = ReturnType<typeof createTenantService>;
