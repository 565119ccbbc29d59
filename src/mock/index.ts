export { startMockProvider, MOCK_MODELS } from './server';
export type { MockProvider, MockProviderOptions } from './server';
export { parseFaultSpec, faultFromModelName, selectFault, FaultSpecError } from './faults';
export type { Fault, FaultSpec, FaultSources } from './faults';
export { buildAnswer, estimateTokens, splitWords, JSON_MARKER, JSON_ANSWER } from './completion';
