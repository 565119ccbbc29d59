export {
  BudgetSchema,
  LimitsSchema,
  LoopSchema,
  NO_LIMITS,
  RateLimitSchema,
  TeamLimitSchema,
  limitReferenceIssues,
  type BudgetConfig,
  type LimitIssue,
  type LimitsConfig,
  type LoopConfig,
  type RateLimitConfig,
  type TeamLimitConfig,
} from './schema';
export { RateLimiter, type RateLimitAllowed, type RateLimitHeaders, type RateLimitRequest, type RateLimiterOptions } from './rateLimiter';
export { LoopDetector, promptHash, type LoopCheck } from './loopDetector';
export { BudgetGuard, type BudgetDecision, type BudgetGuardOptions, type Reservation, type ReserveRequest } from './budget';
export { tooManyRequests, type LimitErrorCode } from './errors';
export type { CounterStoreOptions, RedisOption } from './counters';
export { LimitsGate, type AdmitLimitsRequest, type LimitsGateOptions } from './gate';
