-- Event rows keep no words that can later be edited or deleted (src/events/payload.ts): a comment
-- event keeps the comment's ids and flags (and, for an edit, which fields changed), and
-- ticket.deleted keeps the deletion, not a copy of the ticket. Readers show the entity as it is
-- now. The one rewrite of the otherwise append-only log: it removes what it should never have held.
UPDATE "Event" e
   SET "before" = CASE WHEN e.type = 'comment.deleted' THEN f.facts END,
       "after" = CASE e.type WHEN 'comment.created' THEN f.facts
                             WHEN 'comment.updated' THEN f.facts || '{"changed": ["body"]}'::jsonb END
  FROM (
    SELECT ev."tenantId", ev.id, jsonb_build_object(
             'commentId', ev."entityId",
             'ticketId', COALESCE(c."ticketId", ev."ticketId"),
             'parentId', COALESCE(c."parentId"::text, ev."after"->>'parentId', ev."before"->>'parentId'),
             'authorId', COALESCE(c."authorId"::text, ev."after"->>'authorId', ev."before"->>'authorId'),
             'internal', COALESCE(c.internal, ev.internal)) AS facts
      FROM "Event" ev
      LEFT JOIN "Comment" c ON c."tenantId" = ev."tenantId" AND c.id = ev."entityId"
     WHERE ev."entityType" = 'comment'
  ) f
 WHERE e."tenantId" = f."tenantId" AND e.id = f.id;

UPDATE "Event" SET "before" = '{"deletedAt": null}'::jsonb WHERE type = 'ticket.deleted';
