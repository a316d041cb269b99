/**
 * `vela-companion/quickapp`: the modules a quick app imports, declared for TypeScript, so that page
 * logic written as for the watch (`import request from '@system.request'`) type-checks unchanged:
 *
 *     /// <reference types="vela-companion/quickapp" />
 *
 * or `"types": ["vela-companion/quickapp"]` in tsconfig.json. Both names are what
 * `vela-companion/register` (Node), `vela-companion/vitest` and the Jest mapping resolve to the
 * package's module, so these are the declarations of `vela-companion/system.request`, which the build
 * generates from src-main/quickapp/types.ts; this file only gives them the two names.
 * It is a global script on purpose (no import or export at the top level): it only declares modules.
 * Hand-written because TypeScript cannot emit it: the package is `"type": "module"`, so every source
 * file there is a module, and `declare module` inside a module augments a module instead of declaring it.
 */

/* eslint-disable @typescript-eslint/consistent-type-imports -- an ambient module cannot `import` a relative path (TS2439); `import()` types can */

declare module '@system.request' {
  type Module = typeof import('../dist/src-main/quickapp/system-request.js');
  /** `download`, `onDownloadComplete` and (vela-companion only, not on a watch) `configure`. */
  const request: Module['default'];
  export default request;
  export const download: Module['download'];
  export const onDownloadComplete: Module['onDownloadComplete'];
  /** vela-companion only (the watch's module has no such call): pick the device profile and the data dir. */
  export const configure: Module['configure'];
  export type FailCode = import('../dist/src-main/quickapp/system-request.js').FailCode;
  export type FailCallback = import('../dist/src-main/quickapp/system-request.js').FailCallback;
  export type Callbacks<T> = import('../dist/src-main/quickapp/system-request.js').Callbacks<T>;
  export type DownloadOptions = import('../dist/src-main/quickapp/system-request.js').DownloadOptions;
  export type DownloadSuccess = import('../dist/src-main/quickapp/system-request.js').DownloadSuccess;
  export type OnDownloadCompleteOptions = import('../dist/src-main/quickapp/system-request.js').OnDownloadCompleteOptions;
  export type DownloadCompleteSuccess = import('../dist/src-main/quickapp/system-request.js').DownloadCompleteSuccess;
  export type Answer<T> = import('../dist/src-main/quickapp/system-request.js').Answer<T>;
  export type RequestFailure = import('../dist/src-main/quickapp/system-request.js').RequestFailure;
  export type ConfigureOptions = import('../dist/src-main/quickapp/system-request.js').ConfigureOptions;
  export type CustomDeviceProfile = import('../dist/src-main/quickapp/system-request.js').CustomDeviceProfile;
  export type SystemRequest = import('../dist/src-main/quickapp/system-request.js').SystemRequest;
}

/** The same module under the other spelling that quick-app toolchains accept (one declaration, two names). */
declare module '@system/request' {
  export * from '@system.request';
  export { default } from '@system.request';
}
