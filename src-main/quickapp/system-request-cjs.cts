/**
 * `require('@system.request')` under `vela-companion/register`. Node 20 cannot `require` an ES module,
 * so this forwards each call to it once it has loaded; every quick-app answer is asynchronous anyway,
 * so the caller cannot tell. Without callbacks the call returns a Promise, as the ES module does.
 */
// eslint-disable-next-line @typescript-eslint/consistent-type-imports -- a CommonJS file can only name an ES module's type this way
type Api = typeof import('./system-request.js');
let loaded: Promise<Api> | undefined;
const load = (): Promise<Api> => (loaded ??= import('./system-request.js'));

type CallObject = { success?: unknown; fail?: unknown; complete?: unknown } | undefined;
const hasCallbacks = (o: CallObject): boolean =>
  !!o && (typeof o.success === 'function' || typeof o.fail === 'function' || typeof o.complete === 'function');

function forward(method: 'download' | 'onDownloadComplete') {
  return (object: CallObject): unknown => {
    const result = load().then((api) => (api[method] as (o: CallObject) => unknown)(object));
    if (hasCallbacks(object)) {
      result.catch((error: unknown) => console.error('[system.request]', error));
      return undefined;
    }
    return result;
  };
}

const request = {
  download: forward('download'),
  onDownloadComplete: forward('onDownloadComplete'),
  configure: (options: Parameters<Api['configure']>[0]) => load().then((api) => api.configure(options)),
};
export = request;
