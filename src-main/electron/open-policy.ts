/** The desktop's "open" policy is core's, so the browser host decides the same way (core/open-policy.ts). */
export { mayOpen } from '../core/open-policy.js';
