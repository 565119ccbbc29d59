import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/** Typed search attributes on every request workflow, so the UI and `temporal workflow list` can filter. */
export const GatehouseSearch = {
  caller: defineSearchAttributeKey('GatehouseCaller', SearchAttributeType.KEYWORD),
  team: defineSearchAttributeKey('GatehouseTeam', SearchAttributeType.KEYWORD),
  task: defineSearchAttributeKey('GatehouseTask', SearchAttributeType.KEYWORD),
  route: defineSearchAttributeKey('GatehouseRoute', SearchAttributeType.KEYWORD),
  model: defineSearchAttributeKey('GatehouseModel', SearchAttributeType.KEYWORD),
  /**
   * `running`, then the outcome (RequestStatus); meanwhile `awaiting_review` (held for a human) or
   * `queued` (waiting in the route's queue: set at its first wait, kept until the request ends; GET /admin/queue counts it).
   */
  status: defineSearchAttributeKey('GatehouseStatus', SearchAttributeType.KEYWORD),
  /** Why a request ended without an answer: the error code the caller got (e.g. `budget_exceeded`); absent when answered. */
  code: defineSearchAttributeKey('GatehouseCode', SearchAttributeType.KEYWORD),
} as const;

/** Name → CLI type, for `temporal server start-dev --search-attribute` and operator registration. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword'> = Object.fromEntries(
  Object.values(GatehouseSearch).map((k) => [k.name, 'Keyword' as const]),
);

export type RequestStatus = 'running' | 'completed' | 'failed' | 'denied' | 'cancelled';
