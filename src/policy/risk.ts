import type { DataClass, Risk } from '../config/routing';

const ORDER: Risk[] = ['low', 'medium', 'high'];

/** Pure: the request's risk after the route's floor and what the data says (restricted → high). */
export function effectiveRisk(declared: Risk, routeMin: Risk | undefined, dataClass: DataClass): Risk {
  const fromData: Risk = dataClass === 'restricted' ? 'high' : dataClass === 'confidential' ? 'medium' : 'low';
  return [declared, routeMin ?? 'low', fromData].reduce((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a));
}
