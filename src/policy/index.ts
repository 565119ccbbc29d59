export { authorizeTask, resolveTask, type CallerIdentity } from './authorize';
export { screenPrompt, atLeast, type Screening } from './screen';
export { effectiveRisk } from './risk';
