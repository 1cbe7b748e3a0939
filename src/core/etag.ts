// Strong ETags from a resource's version counter: "<version>". A representation that carries the
// reader's own unread count (GET /v1/tickets/{ticketId}) adds it: "<version>.<unreadCount>", so a
// 304 never hides a count that moved while the ticket did not (a read marker, another's internal
// note, a deleted comment).
export function etagOf(version: number, unreadCount?: number): string {
  return unreadCount === undefined ? `"${version}"` : `"${version}.${unreadCount}"`;
}

function tagsOf(header: string): string[] {
  return header.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
}

/** If-None-Match: does the header name exactly this representation? ("*" names any.) */
export function etagMatches(header: string, version: number, unreadCount?: number): boolean {
  const wanted = etagOf(version, unreadCount);
  return tagsOf(header).some((tag) => tag === "*" || tag === wanted);
}

/**
 * If-Match: does the header name this version? The precondition guards the resource against lost
 * updates; an unread count in the tag is its reader's, not the resource's, so it is not compared.
 */
export function etagNamesVersion(header: string, version: number): boolean {
  return tagsOf(header).some((tag) => tag === "*" || tag.replace(/\.\d+"$/, '"') === etagOf(version));
}
