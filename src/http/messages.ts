import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatIssues } from '../config';
import { invalidRequest } from '../errors';
import { MessagesRequestSchema, explainIssues } from '../formats/anthropic/schema';
import { toChatRequest } from '../formats/anthropic/request';
import { toAnthropicMessage } from '../formats/anthropic/response';
import { AnthropicStreamPresenter } from '../formats/anthropic/stream';
import { answerChat, type ChatFormat } from './chatCompletions';
import type { HttpDeps } from './server';

const anthropicFormat: ChatFormat = {
  parse(body) {
    const parsed = MessagesRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issues = explainIssues(parsed.error.issues);
      throw invalidRequest('invalid_request', formatIssues(issues).join('; '), issues[0]?.path.join('.'));
    }
    return toChatRequest(parsed.data);
  },
  presenter: () => new AnthropicStreamPresenter(),
  answer(result) {
    const { message, warnings } = toAnthropicMessage(result, result.gatehouse.model);
    const all = [...(result.gatehouse.warnings ?? []), ...warnings];
    return { ...message, gatehouse: all.length ? { ...result.gatehouse, warnings: all } : result.gatehouse };
  },
};

/** Anthropic's API versions are dates; the gateway speaks the Messages shape of all of them. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `POST /v1/messages`: Anthropic's Messages API at the front door, for any configured model (the
 * request is translated into the internal shape and the answer back). Errors, the guard's included,
 * leave in Anthropic's shape. `anthropic-beta` is accepted and has no effect.
 */
export function registerMessages(app: FastifyInstance, deps: HttpDeps): void {
  app.post('/v1/messages', { config: { role: 'caller', rateLimited: true, errorFormat: 'anthropic' } }, (req, reply) => {
    checkVersion(req);
    return answerChat(req, reply, deps, anthropicFormat);
  });
}

function checkVersion(req: FastifyRequest): void {
  const v = req.headers['anthropic-version'];
  if (v === undefined) return;
  if (typeof v !== 'string' || !API_VERSION.test(v.trim())) {
    throw invalidRequest('invalid_anthropic_version', 'anthropic-version must be an API version date such as 2023-06-01', 'anthropic-version');
  }
}
