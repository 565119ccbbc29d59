// The worker bundles this file: deterministic workflow code only.
export { aiRequest } from './aiRequest';
export { webhookDelivery } from './webhook';
export { shadowRequest } from './shadow';
export { statusQuery } from './definitions';
export { embeddingsRequest } from './embeddingsRequest';
export { requestFeedback } from './feedback';
