import type { FastifyInstance } from 'fastify';
import { modelsForCaller } from '../catalog/callerModels';
import { authenticated } from './guard';
import type { HttpDeps } from './server';

/** The models this caller may name (src/catalog/callerModels.ts), plus `auto`: the task's route chooses. */
export function registerModels(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/v1/models', { config: { role: 'caller' } }, async (req) => {
    const { caller } = authenticated(req);
    // The live snapshot (route table and kill switch together) when release control runs.
    const live = deps.release?.live.snapshot();
    const config = live?.config ?? deps.config();
    const names = modelsForCaller(caller.name, config, Date.now(), live);
    const data = ['auto', ...names].map((id) => ({
      id,
      object: 'model' as const,
      created: 0,
      owned_by: id === 'auto' ? 'gatehouse' : (config.models[id]?.provider ?? 'gatehouse'),
      // `chat` or `embedding`: which endpoint the model answers (`auto` follows the task's route).
      ...(config.models[id] ? { mode: config.models[id].mode } : {}),
    }));
    return { object: 'list', data };
  });
}
