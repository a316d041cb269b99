/** The rule lives in src-shared: the window's retry dialog applies it too, before it sends new headers. */
export { ORIGIN_BOUND_HEADERS, withoutOriginBound } from '../../src-shared/origin-bound.js';
