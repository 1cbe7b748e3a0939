import type { Group as GroupRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type Group = Schemas["Group"];

export function toGroup(row: GroupRow & { members: { userId: string }[] }): Group {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    memberIds: row.members.map((member) => member.userId).sort(),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
