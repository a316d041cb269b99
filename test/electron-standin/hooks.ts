/**
 * The module hook launcher.ts registers (`module.register`): `electron` (and `electron/main`) resolve
 * to the stand-in, for the shell and for what it loads (electron-store). Everything else resolves as
 * usual.
 */
import type { ResolveHook } from 'node:module';

const STANDIN = new URL('./electron.js', import.meta.url).href;

export const resolve: ResolveHook = (specifier, context, nextResolve) => {
  if (specifier === 'electron' || specifier === 'electron/main') return { url: STANDIN, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
};
