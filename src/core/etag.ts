// Strong ETags from a resource's version counter: "<version>".
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** Does an If-Match / If-None-Match header name this version? ("*" names any.) */
export function etagMatches(header: string, version: number): boolean {
  const wanted = etagOf(version);
  return header.split(",").some((tag) => {
    const trimmed = tag.trim().replace(/^W\//, "");
    return trimmed === "*" || trimmed === wanted;
  });
}
