export { authorizeTask, resolveTask, type CallerIdentity } from './authorize';
export { screenPrompt, screenFindings, screeningActionOf, atLeast, type Screening, type ScreeningAction } from './screen';
export { effectiveRisk } from './risk';
