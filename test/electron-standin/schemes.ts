/**
 * Chromium will not load a scheme it does not know (`app:` and `vela-media:` exist only once Electron
 * registers them), so the stand-in gives each privileged standard scheme a reserved origin that can
 * never reach a network: `<scheme>://<host>/<path>` is `https://<host>.<scheme>.invalid/<path>` in
 * Chromium (`.invalid` is reserved by RFC 2606; https, so the page is a secure context as a `secure`
 * scheme's page is). Playwright's request routing answers those URLs from the shell's own
 * `protocol.handle` handler, and every URL the shell sees (requests, the sender frame, navigations,
 * webContents.getURL) is translated back, so the shell only ever sees `app://vela/…`.
 */

export const RESERVED_TLD = 'invalid';

const suffix = (scheme: string): string => `.${scheme}.${RESERVED_TLD}`;

/** The Chromium URL for a custom-scheme URL, or undefined when the scheme is not mapped. */
export function toChromiumUrl(url: string, schemes: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (!schemes.includes(scheme) || parsed.hostname === '') return undefined;
  return `https://${parsed.hostname}${suffix(scheme)}${parsed.pathname}${parsed.search}${parsed.hash}`;
}

/** The custom-scheme URL a Chromium URL stands for, or undefined for any other URL. */
export function fromChromiumUrl(url: string, schemes: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' || parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return undefined;
  for (const scheme of schemes) {
    const end = suffix(scheme);
    if (parsed.hostname.endsWith(end) && parsed.hostname.length > end.length) {
      const host = parsed.hostname.slice(0, -end.length);
      return `${scheme}://${host}${parsed.pathname}${parsed.search}${parsed.hash}`;
    }
  }
  return undefined;
}

/** What the shell should see of any URL Chromium reports: custom schemes back, everything else as it is. */
export const shellUrl = (url: string, schemes: readonly string[]): string => fromChromiumUrl(url, schemes) ?? url;

/**
 * A Content-Security-Policy written for the custom schemes, for Chromium: a scheme source `vela-media:`
 * becomes `https://*.vela-media.invalid` (the reserved origins of that scheme). `'self'` needs nothing:
 * the page's own origin is the reserved one.
 */
export function translateCsp(policy: string, schemes: readonly string[]): string {
  return policy
    .split(';')
    .map((directive) =>
      directive
        .split(/(\s+)/)
        .map((token) => (schemes.some((s) => token.toLowerCase() === `${s}:`) ? `https://*${suffix(token.slice(0, -1).toLowerCase())}` : token))
        .join(''),
    )
    .join(';');
}

/** Response headers from a protocol handler, for Chromium: the CSP and any Location translated. */
export function translateResponseHeaders(headers: Record<string, string>, schemes: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'content-security-policy') out[name] = translateCsp(value, schemes);
    else if (lower === 'location') out[name] = toChromiumUrl(value, schemes) ?? value;
    else out[name] = value;
  }
  return out;
}
