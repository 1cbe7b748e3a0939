import type { Macro as MacroRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type Macro = Schemas["Macro"];

export function toMacro(row: MacroRow): Macro {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    active: row.active,
    changes: row.changes as Macro["changes"],
    comment: (row.comment ?? null) as Macro["comment"],
    createdById: row.createdById,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
