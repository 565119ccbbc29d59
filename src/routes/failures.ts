/**
 * Failure types of a provider try the kill switch refused (activities/killSwitch.ts). Their conduct
 * is in the failure table (src/failures); re-exported here for the release code.
 */
export { MODEL_DISABLED, ROUTE_DISABLED, isKillSwitchFailure } from '../failures/kinds';
