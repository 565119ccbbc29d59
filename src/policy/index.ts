export { authorizeTask, resolveTask, type CallerIdentity } from './authorize';
