export { planRoute, type Candidate, type PlanRequest, type RoutePlan, type RouteTable } from './planRoute';
