/**
 * The routes a request of this task may take, as the front door sees them before admission: the
 * task's own, or any route while the task is not known yet (the caller's default then applies).
 */
export function routesForTask<R extends { match: { task: string } }>(routes: readonly R[], task: string | undefined): R[] {
  return routes.filter((r) => task === undefined || r.match.task === task);
}
