export * from './schema';
export { ConfigError, loadConfigFile, parseConfigText, parseConfigObject, formatIssues } from './load';
export { parseDuration } from './duration';
export * from './api';
export * from './routing';
