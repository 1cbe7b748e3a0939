import type { User as UserRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type User = Schemas["User"];

/** The public shape of a user: what the API returns and what events record. Never the hash. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    skills: row.skills,
    capacity: row.capacity,
    availability: row.availability,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
  };
}
