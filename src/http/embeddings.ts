import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { embeddingsResponse, parseEmbeddingsBody } from '../embeddings/request';
import type { EmbeddingsResult } from '../temporal/contract';
import { header, idempotencyKey } from './requestHeaders';
import { authenticated } from './guard';
import type { HttpDeps } from './server';

/**
 * `POST /v1/embeddings` (OpenAI's shape): one durable request like a chat completion
 * (workflows/embeddingsRequest.ts), which authenticates, screens, limits, routes and records it.
 */
export function registerEmbeddings(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/embeddings', { config: { role: 'caller', rateLimited: true } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const { credential } = authenticated(req);
    const body = parseEmbeddingsBody(req.body);
    const key = idempotencyKey(req);
    const task = header(req, 'x-gatehouse-task') ?? body.metadata?.task;
    const { handle } = await deps.starter.startEmbeddings({ credential, task, risk: header(req, 'x-gatehouse-risk'), latency: header(req, 'x-gatehouse-latency'), priority: header(req, 'x-gatehouse-priority'), body }, key);
    void reply.header('x-gatehouse-request-id', handle.workflowId);
    const result = await deps.starter.result<EmbeddingsResult>(handle);
    void reply.header('x-gatehouse-route', result.gatehouse.route).header('x-gatehouse-model', result.gatehouse.model);
    void reply.headers(result.gatehouse.rate_limit ?? {});
    return embeddingsResponse(result, body.encoding_format);
  });
}
