import Module, { register } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * `node --import vela-companion/register page.mjs`: quick-app code that does
 * `import request from '@system.request'` (or `require('@system.request')`) runs unchanged.
 * `import` goes through Node's module hooks; `require` through the CommonJS resolver, which gets a
 * small CommonJS forwarder (Node 20 cannot `require` an ES module).
 */
register('./hooks.js', import.meta.url);

const cjsForwarder = fileURLToPath(new URL('./system-request-cjs.cjs', import.meta.url));
type Resolver = (request: string, ...rest: unknown[]) => string;
const cjs = Module as unknown as { _resolveFilename: Resolver };
const original = cjs._resolveFilename;
cjs._resolveFilename = function resolveFilename(this: unknown, request: string, ...rest: unknown[]): string {
  if (request === '@system.request' || request === '@system/request') return cjsForwarder;
  return original.call(this, request, ...rest);
};
