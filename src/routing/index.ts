export { reasonText, skipText, type Skip, type SkipReason } from './skips';
export { candidateFor, planRoute, type Candidate, type PlanContext, type PlanRequest, type RoutePlan, type ShadowPlan } from './planRoute';
export { selectRoute, routeByName, type RouteQuery } from './selectRoute';
export { stableShare, inShare } from './stableShare';
export { capPlanToBudget, type BudgetCapInput } from './capToBudget';
export * from './degraded';
export { offerDegraded } from './planDegraded';
export { deploymentKey, orderDeployments, weightedPick, type DeploymentLoad } from './deployments';
export { approvalKey, mayUseUnapproved, unapprovedRoutes, type Unapproved, type VersionFacts } from './approval';
