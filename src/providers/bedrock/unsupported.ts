import type { ChatCompletionRequest } from '../../config/api';
import { dataImageFormat, imageUrl, jsonSchemaOf, toolCallsOf, toolChoiceNoneKeepsTools } from './mapRequest';

/** Fields `toConverse` maps (or the gateway consumes itself): never reported. */
const MAPPED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'metadata', 'max_tokens', 'max_completion_tokens',
  'temperature', 'top_p', 'stop', 'tools', 'tool_choice', 'response_format',
]);

/** Values that ask for nothing beyond the default: sending nothing honours them. */
const HARMLESS: Readonly<Record<string, (v: unknown) => boolean>> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  parallel_tool_calls: (v) => v === true,
  presence_penalty: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  store: (v) => v === false,
};

/**
 * What of `req` Bedrock's Converse API cannot honour, one sentence per field (pure; the provider
 * activity puts them in `gatehouse.warnings` and the ledger). Mirrors what `toConverse` leaves out.
 */
export function unsupportedFields(req: ChatCompletionRequest): string[] {
  const out: string[] = [];
  for (const [field, value] of Object.entries(req)) {
    if (MAPPED.has(field) || value === undefined || value === null || HARMLESS[field]?.(value)) continue;
    out.push(`${field}: not supported by Bedrock's Converse API, not sent`);
  }
  out.push(...contentWarnings(req));
  const format = (req.response_format as { type?: unknown } | undefined)?.type;
  if (format === 'json_object') out.push('response_format: json_object has no Bedrock equivalent (only json_schema), not sent');
  else if (format === 'json_schema' && !jsonSchemaOf(req.response_format)) out.push('response_format: json_schema without a schema, not sent');
  if (toolChoiceNoneKeepsTools(req)) out.push('tool_choice: "none" cannot be sent to Bedrock while the conversation holds tool calls; tools sent with "auto"');
  return out;
}

/** Content Converse cannot take: one sentence per kind of problem, however often it occurs. */
function contentWarnings(req: ChatCompletionRequest): string[] {
  const found = new Set<string>();
  for (const m of req.messages) {
    if (typeof m.name === 'string') found.add('messages[].name: not supported by Bedrock, not sent');
    for (const call of toolCallsOf(m)) if (!validArguments(call.function?.arguments)) found.add('messages[].tool_calls[].function.arguments: not a JSON object, sent as {}');
    if (!Array.isArray(m.content)) continue;
    const system = m.role === 'system' || m.role === 'developer';
    for (const part of m.content as Array<{ type: string }>) {
      if (part.type === 'text') continue;
      if (system || m.role === 'tool') found.add(`${m.role} messages: only text parts reach Bedrock, ${part.type} parts not sent`);
      else if (part.type !== 'image_url') found.add(`${part.type} content parts: not supported by this adapter, not sent`);
      else if (!dataImageFormat(imageUrl(part))) found.add('image_url: Bedrock takes images as png, jpeg, gif or webp data: URLs only; other images not sent');
    }
  }
  return [...found];
}

function validArguments(args: string | undefined): boolean {
  if (!args) return true;
  try {
    const v: unknown = JSON.parse(args);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
