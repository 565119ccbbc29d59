/**
 * Failure types of a provider try the kill switch refused (activities/killSwitch.ts). Plain
 * constants, so workflow code may import them.
 */
export const MODEL_DISABLED = 'ModelDisabled';
export const ROUTE_DISABLED = 'RouteDisabled';

export function isKillSwitchFailure(type: string | undefined): boolean {
  return type === MODEL_DISABLED || type === ROUTE_DISABLED;
}
