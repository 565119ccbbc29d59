export { WebhookSchema, type WebhookConfig } from './schema';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, verifySignature } from './sign';
