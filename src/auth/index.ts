export { CallerDirectory, bearerKey, hashApiKey, newApiKey, type AuthenticatedCaller } from './apiKeys';
export { loadDemoKey } from './demoKey';
