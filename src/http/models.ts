import type { FastifyInstance } from 'fastify';
import { isRoutable } from '../catalog/status';
import { authenticated } from './guard';
import type { HttpDeps } from './server';

/** The models this caller may reach through its tasks' routes (plus `auto`, the task's default). */
export function registerModels(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/models', { config: { role: 'caller' } }, async (req) => {
    const { caller } = authenticated(req);
    const config = deps.config();
    const names = new Set<string>();
    for (const route of config.routes) {
      if (!caller.config.tasks.includes(route.match.task)) continue;
      for (const m of [route.primary, ...route.fallbacks]) {
        const model = config.models[m];
        if (model && isRoutable(model, Date.now())) names.add(m);
      }
    }
    const data = ['auto', ...names].map((id) => ({
      id,
      object: 'model' as const,
      created: 0,
      owned_by: id === 'auto' ? 'gatehouse' : (config.models[id]?.provider ?? 'gatehouse'),
    }));
    return { object: 'list', data };
  });
}
