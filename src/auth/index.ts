export { CallerDirectory, bearerKey, presentedKey, hashApiKey, newApiKey, type AuthenticatedCaller } from './apiKeys';
export { loadDemoKey } from './demoKey';
export { CredentialOpener, CredentialSealer, credentialPublicKey, decisionDigest, loadCredentialKeys, type CredentialKeys, type SealBinding } from './credentialSeal';
export { isSealedCredential } from './envelope';
