import type { ModelStatus } from './schema';

/** The catalogue fields status logic needs (a ModelConfig has them all). */
export interface CatalogModel {
  approved?: boolean;
  status?: ModelStatus;
  retirementDate?: string;
}

/**
 * Pure: the model's effective status at `now` (ms since the epoch). A retirement date that has come
 * makes any model retired; without `now` the date is not consulted.
 */
export function modelStatus(m: CatalogModel, now?: number): ModelStatus {
  if (m.status === 'retired') return 'retired';
  if (m.retirementDate !== undefined && now !== undefined && now >= retirementTime(m.retirementDate)) return 'retired';
  return m.status ?? (m.approved === false ? 'proposed' : 'approved');
}

/** Approved and deprecated models may be planned; proposed and retired never. */
export function isRoutable(m: CatalogModel, now?: number): boolean {
  const status = modelStatus(m, now);
  return status === 'approved' || status === 'deprecated';
}

/** The warning a deprecated model carries into logs and the response's `gatehouse.warnings`. */
export function deprecationWarning(name: string, m: CatalogModel, now?: number): string | undefined {
  if (modelStatus(m, now) !== 'deprecated') return undefined;
  const when = m.retirementDate ? `; it retires on ${m.retirementDate}` : '';
  return `model "${name}" is deprecated${when}`;
}

function retirementTime(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}
