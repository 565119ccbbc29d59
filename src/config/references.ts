import type { z } from 'zod';
import { limitReferenceIssues } from '../limits/schema';
import { reviewConfigProblems } from '../review/config';
import type { Config } from './schema';

type Issue = { path: (string | number)[]; message: string };

/** Cross-references zod cannot express field by field: every name used must be declared. */
export function checkReferences(cfg: unknown, ctx: z.RefinementCtx): void {
  for (const issue of referenceIssues(cfg as Config)) ctx.addIssue({ code: 'custom', ...issue });
}

export function referenceIssues(c: Config): Issue[] {
  const teams = new Set(Object.values(c.callers).map((x) => x.team));
  const limits = limitReferenceIssues(c.limits, { callers: new Set(Object.keys(c.callers)), teams, routes: new Set(c.routes.map((r) => r.name)) });
  return [...modelIssues(c), ...routeIssues(c), ...callerIssues(c), ...limits, ...reviewConfigProblems(c)];
}

function modelIssues(c: Config): Issue[] {
  const issues: Issue[] = Object.entries(c.models)
    .filter(([, m]) => !c.providers[m.provider])
    .map(([name, m]) => ({ path: ['models', name, 'provider'], message: `unknown provider "${m.provider}"` }));
  for (const [name, m] of Object.entries(c.models)) {
    const seen = new Set<string>();
    m.deployments?.forEach((d, i) => {
      if (!c.providers[d.provider]) issues.push({ path: ['models', name, 'deployments', i, 'provider'], message: `unknown provider "${d.provider}"` });
      if (seen.has(d.name)) issues.push({ path: ['models', name, 'deployments', i, 'name'], message: `deployment name "${d.name}" is used twice` });
      seen.add(d.name);
    });
  }
  return issues;
}

function routeIssues(c: Config): Issue[] {
  const issues: Issue[] = [];
  const names = new Set<string>();
  const model = (path: Issue['path'], m: string | undefined) => {
    if (m !== undefined && !c.models[m]) issues.push({ path, message: `unknown model "${m}"` });
  };
  c.routes.forEach((r, i) => {
    if (names.has(r.name)) issues.push({ path: ['routes', i, 'name'], message: `route name "${r.name}" is used twice` });
    names.add(r.name);
    model(['routes', i, 'primary'], r.primary);
    r.fallbacks.forEach((m, j) => model(['routes', i, 'fallbacks', j], m));
    r.batch.forEach((m, j) => model(['routes', i, 'batch', j], m));
    model(['routes', i, 'canary', 'model'], r.canary?.model);
    model(['routes', i, 'shadow', 'model'], r.shadow?.model);
    model(['routes', i, 'cheaperOption'], r.cheaperOption);
    model(['routes', i, 'degraded', 'model'], r.degraded?.model);
    for (const [p, rule] of Object.entries(r.priorities)) rule?.models.forEach((m, j) => model(['routes', i, 'priorities', p, 'models', j], m));
    r.testCallers.forEach((name, j) => {
      if (!c.callers[name]) issues.push({ path: ['routes', i, 'testCallers', j], message: `unknown caller "${name}"` });
    });
  });
  c.routes.forEach((r, i) => {
    if (r.largerRoute && !names.has(r.largerRoute)) issues.push({ path: ['routes', i, 'largerRoute'], message: `unknown route "${r.largerRoute}"` });
  });
  return issues;
}

function callerIssues(c: Config): Issue[] {
  const issues: Issue[] = [];
  const tasks = new Set(c.routes.map((r) => r.match.task));
  const routes = new Set(c.routes.map((r) => r.name));
  for (const [name, caller] of Object.entries(c.callers)) {
    caller.tasks.forEach((t, i) => {
      if (!tasks.has(t)) issues.push({ path: ['callers', name, 'tasks', i], message: `no route matches task "${t}"` });
    });
    caller.routes?.forEach((r, i) => {
      if (!routes.has(r)) issues.push({ path: ['callers', name, 'routes', i], message: `unknown route "${r}"` });
    });
    caller.models?.forEach((m, i) => {
      if (!c.models[m]) issues.push({ path: ['callers', name, 'models', i], message: `unknown model "${m}"` });
    });
  }
  return [...issues, ...sharedKeyIssues(c)];
}

/** One key, one caller: a hash listed twice would authenticate as whichever caller came last. */
function sharedKeyIssues(c: Config): Issue[] {
  const owner = new Map<string, string>();
  const issues: Issue[] = [];
  for (const [name, caller] of Object.entries(c.callers)) {
    const hashes: [string | undefined, (string | number)[]][] = [
      [caller.keyHash, ['callers', name, 'keyHash']],
      [caller.previousKey?.keyHash, ['callers', name, 'previousKey', 'keyHash']],
    ];
    for (const [hash, path] of hashes) {
      if (!hash) continue;
      const first = owner.get(hash);
      if (first !== undefined) issues.push({ path, message: `the same key hash is already used by ${first === name ? 'this caller' : `caller "${first}"`}` });
      else owner.set(hash, name);
    }
  }
  return issues;
}
