export * from './kinds';
export { FAILURE_CONDUCT, FAILURE_KINDS, UNKNOWN_FAILURE, conductOf, feedsBreaker, isFailureKind, type CallerError, type FailureConduct } from './table';
export { exhaustedError, stoppedError } from './ending';
export { conductTableMarkdown } from './render';
