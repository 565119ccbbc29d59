import type { ChatCompletionRequest } from '../../config/api';
import { MAX_TEMPERATURE, argumentsObject, imageBlock, samplingAllowed } from './mapRequest';

/**
 * The request fields the Anthropic adapter cannot honour, one sentence each, for
 * `gatehouse.warnings` and the ledger. Pure, linear in the request. Mirrors toAnthropicRequest:
 * whatever that leaves out is named here.
 */

/** Fields toAnthropicRequest maps, or the gateway's own (never sent upstream). */
const HANDLED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'metadata', 'max_tokens', 'max_completion_tokens', 'stop',
  'temperature', 'top_p', 'top_k', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'user', 'n',
]);

/** Known OpenAI fields with no Anthropic counterpart, with why. */
const NO_COUNTERPART: Record<string, string> = {
  logprobs: 'Anthropic returns no log probabilities',
  top_logprobs: 'Anthropic returns no log probabilities',
  presence_penalty: 'Anthropic has no presence penalty',
  frequency_penalty: 'Anthropic has no frequency penalty',
  logit_bias: 'Anthropic has no logit bias',
  seed: 'Anthropic has no seed',
};

export function unsupportedFields(req: ChatCompletionRequest, version: string): string[] {
  const r = req as Record<string, unknown>;
  const out: string[] = [];
  for (const [field, value] of Object.entries(r)) {
    if (value === undefined || value === null || HANDLED.has(field)) continue;
    if (field === 'logprobs' && value === false) continue;
    out.push(`${field}: ${NO_COUNTERPART[field] ?? 'not supported by Anthropic'}, not sent`);
  }
  if (typeof r.n === 'number' && r.n > 1) out.push(`n: Anthropic returns one choice per request, ${r.n} asked; one sent`);
  out.push(...sampling(r, version), ...formatAndTools(r), ...messageParts(req));
  return out;
}

function sampling(r: Record<string, unknown>, version: string): string[] {
  const present = (['temperature', 'top_p', 'top_k'] as const).filter((f) => typeof r[f] === 'number');
  if (!samplingAllowed(version)) return present.map((f) => `${f}: removed in Anthropic API version ${version}, not sent`);
  if (typeof r.temperature === 'number' && r.temperature > MAX_TEMPERATURE) {
    return [`temperature: ${r.temperature} is above Anthropic's maximum of ${MAX_TEMPERATURE}, not sent (the model's default, 1, applies)`];
  }
  return [];
}

function formatAndTools(r: Record<string, unknown>): string[] {
  const out: string[] = [];
  const format = (r.response_format as { type?: unknown } | undefined)?.type;
  if (format === 'json_object') out.push('response_format: Anthropic has no JSON mode without a schema, not sent (use json_schema)');
  if (format === 'json_schema' && typeof (r.response_format as { json_schema?: { schema?: unknown } }).json_schema?.schema !== 'object') {
    out.push('response_format: json_schema without a schema, not sent');
  }
  const tools = Array.isArray(r.tools) ? (r.tools as Array<{ type?: unknown; function?: { name?: unknown } }>) : [];
  const skipped = tools.filter((t) => t?.type !== 'function' || typeof t.function?.name !== 'string').length;
  if (skipped > 0) out.push(`tools: ${skipped} tool(s) that are not named functions, not sent`);
  if (r.tool_choice !== undefined && tools.length === skipped) out.push('tool_choice: no function tools to choose from, not sent');
  return out;
}

/** Content parts, message names and tool-call arguments that do not survive the mapping. */
function messageParts(req: ChatCompletionRequest): string[] {
  const out: string[] = [];
  req.messages.forEach((m, i) => {
    const x = m as Record<string, unknown>;
    if (typeof m.name === 'string') out.push(`messages[${i}].name: not supported by Anthropic, not sent`);
    if (Array.isArray(m.content)) {
      m.content.forEach((p, j) => {
        const part = p as { type: string; image_url?: { url?: unknown } | string };
        const sent = part.type === 'text' || (part.type === 'image_url' && m.role === 'user' && imageBlock(part.image_url) !== undefined);
        if (!sent) out.push(`messages[${i}].content[${j}]: ${part.type} parts are not supported by Anthropic here, not sent`);
      });
    }
    const calls = Array.isArray(x.tool_calls) ? (x.tool_calls as Array<{ function?: { arguments?: unknown } }>) : [];
    calls.forEach((c, j) => {
      if (!argumentsObject(c.function?.arguments)) out.push(`messages[${i}].tool_calls[${j}].function.arguments: not a JSON object, sent as {}`);
    });
  });
  return out;
}
