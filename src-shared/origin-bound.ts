/**
 * Request headers that belong to the origin they were given for: credentials, and a caller's `Host`
 * (which names that origin's virtual host). They go neither to a redirect's other origin (as got and
 * browsers do) nor to another origin that a retry with a new link points at (the engine drops them;
 * the window's retry dialog takes them out of the headers it shows before it sends any).
 */
export const ORIGIN_BOUND_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization', 'host'];

/** The headers without the origin-bound ones (names are lower-case in a task's headers). */
export function withoutOriginBound(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!ORIGIN_BOUND_HEADERS.includes(name.toLowerCase())) kept[name] = value;
  return kept;
}
