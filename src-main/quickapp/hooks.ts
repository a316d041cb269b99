/**
 * Module resolve hooks (registered by register.ts): the bare specifier a quick app imports,
 * `@system.request`, resolves to vela-companion's implementation; everything else is untouched.
 */
const SPECIFIERS = new Set(['@system.request', '@system/request']);

interface ResolveContext {
  conditions: string[];
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<{ url: string; shortCircuit?: boolean }> {
  if (SPECIFIERS.has(specifier)) {
    return { url: new URL('./system-request.js', import.meta.url).href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
