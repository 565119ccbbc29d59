export { authorizeTask, resolveTask, type CallerIdentity } from './authorize';
export { screenPrompt, screenFindings, atLeast, type Screening } from './screen';
export { effectiveRisk } from './risk';
