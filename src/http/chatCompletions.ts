import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ChatCompletionRequestSchema, formatIssues } from '../config';
import { invalidRequest } from '../errors';
import { bearerKey } from '../auth';
import type { HttpDeps } from './server';

const IDEMPOTENCY_KEY = /^[\w.:-]{1,200}$/;

export function registerChatCompletions(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/chat/completions', async (req: FastifyRequest, reply: FastifyReply) => {
    // Checked here for a fast 401 without a workflow; the workflow checks the key again itself.
    const credential = bearerKey(req.headers.authorization);
    deps.callers().authenticateKey(credential);
    const parsed = ChatCompletionRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const [first] = parsed.error.issues;
      throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), first?.path.join('.'));
    }
    const body = parsed.data;
    if (body.stream) throw invalidRequest('streaming_not_supported', 'stream: true is not supported yet', 'stream');
    const task = header(req, 'x-gatehouse-task') ?? body.metadata?.task;
    const key = header(req, 'idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw invalidRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-200 characters of letters, digits, _ . : -');
    }

    const risk = header(req, 'x-gatehouse-risk');
    const latency = header(req, 'x-gatehouse-latency');
    const handle = await deps.starter.start({ credential: credential!, task, risk, latency, body }, key);
    void reply.header('x-gatehouse-request-id', handle.workflowId);
    const result = await deps.starter.result(handle);
    void reply.header('x-gatehouse-route', result.gatehouse.route).header('x-gatehouse-model', result.gatehouse.model);
    void reply.headers(result.gatehouse.rate_limit ?? {});
    return result;
  });
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
