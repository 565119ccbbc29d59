// The worker bundles this file: deterministic workflow code only.
export { aiRequest } from './aiRequest';
export { statusQuery } from './definitions';
