import type { FunctionCallingConfigMode, GenerateContentConfig, GenerateContentParameters, Tool, ToolConfig } from '@google/genai';
import type { ChatCompletionRequest } from '../../config/api';
import { contentProblems, needsSignatures, toGeminiContents } from './mapContent';

/**
 * OpenAI chat completions request → `ai.models.generateContent` parameters. Pure. Every request
 * field is either mapped here, a gateway field, or named by `geminiUnsupported`.
 */
type Req = ChatCompletionRequest & Record<string, unknown>;

interface OpenAITool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: unknown; strict?: boolean };
}

/** Fields the gateway itself uses (or the SDK call carries): never sent, never reported. */
const GATEWAY_FIELDS = new Set(['model', 'messages', 'metadata', 'stream', 'stream_options']);
/** Fields mapped below (value-level problems are reported separately). */
const MAPPED_FIELDS = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'top_k',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'stop',
  'n',
  'response_format',
  'tools',
  'tool_choice',
]);

export function toGeminiParams(upstreamModel: string, req: ChatCompletionRequest): GenerateContentParameters {
  const r = req as Req;
  const { contents, systemInstruction } = toGeminiContents(req.messages, needsSignatures(upstreamModel));
  const config: GenerateContentConfig = { ...(systemInstruction ? { systemInstruction } : {}), ...generation(r), ...responseFormat(r) };
  const tools = functionTools(r.tools);
  if (tools) config.tools = tools;
  const toolConfig = toolChoice(r.tool_choice);
  if (toolConfig) config.toolConfig = toolConfig;
  return { model: upstreamModel, contents, config };
}

function generation(r: Req): GenerateContentConfig {
  const c: GenerateContentConfig = {};
  const maxTokens = num(r.max_completion_tokens) ?? num(r.max_tokens);
  if (maxTokens !== undefined) c.maxOutputTokens = maxTokens;
  if (num(r.temperature) !== undefined) c.temperature = r.temperature;
  if (num(r.top_p) !== undefined) c.topP = num(r.top_p);
  if (num(r.top_k) !== undefined) c.topK = num(r.top_k);
  if (num(r.seed) !== undefined) c.seed = num(r.seed);
  if (num(r.presence_penalty) !== undefined) c.presencePenalty = num(r.presence_penalty);
  if (num(r.frequency_penalty) !== undefined) c.frequencyPenalty = num(r.frequency_penalty);
  const stop = typeof r.stop === 'string' ? [r.stop] : Array.isArray(r.stop) ? r.stop.filter((s): s is string => typeof s === 'string') : [];
  if (stop.length > 0) c.stopSequences = stop;
  if (num(r.n) !== undefined && num(r.n)! > 1) c.candidateCount = num(r.n);
  return c;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function responseFormat(r: Req): GenerateContentConfig {
  const f = r.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (f?.type === 'json_object') return { responseMimeType: 'application/json' };
  if (f?.type === 'json_schema') {
    const schema = f.json_schema?.schema;
    return { responseMimeType: 'application/json', ...(schema !== undefined ? { responseJsonSchema: schema } : {}) };
  }
  return {};
}

/** OpenAI function tools → one Gemini tool of function declarations (JSON Schema parameters as they are). */
function functionTools(tools: unknown): Tool[] | undefined {
  if (!Array.isArray(tools)) return undefined;
  const declarations = (tools as OpenAITool[])
    .filter((t) => t.type === 'function' && typeof t.function?.name === 'string')
    .map((t) => ({
      name: t.function!.name!,
      ...(t.function!.description ? { description: t.function!.description } : {}),
      ...(t.function!.parameters !== undefined ? { parametersJsonSchema: t.function!.parameters } : {}),
    }));
  return declarations.length > 0 ? [{ functionDeclarations: declarations }] : undefined;
}

/** The SDK's enum values are these strings; named here so that mapping never loads the SDK. */
const MODE = { auto: 'AUTO', none: 'NONE', required: 'ANY' } as Record<string, FunctionCallingConfigMode>;

function toolChoice(choice: unknown): ToolConfig | undefined {
  if (typeof choice === 'string' && Object.hasOwn(MODE, choice)) return { functionCallingConfig: { mode: MODE[choice] } };
  const name = forcedFunction(choice);
  if (name) return { functionCallingConfig: { mode: MODE.required, allowedFunctionNames: [name] } };
  return undefined;
}

function forcedFunction(choice: unknown): string | undefined {
  const c = choice as { type?: unknown; function?: { name?: unknown } } | undefined;
  return c?.type === 'function' && typeof c.function?.name === 'string' ? c.function.name : undefined;
}

/** One sentence per request field (or value) this adapter cannot send to Gemini. Pure. */
export function geminiUnsupported(req: ChatCompletionRequest): string[] {
  const r = req as Req;
  const out: string[] = [];
  for (const [field, value] of Object.entries(r)) {
    if (value === undefined || value === null || GATEWAY_FIELDS.has(field) || MAPPED_FIELDS.has(field)) continue;
    out.push(`${field}: not supported by Gemini, not sent`);
  }
  out.push(...valueProblems(r), ...contentProblems(req));
  return out;
}

function valueProblems(r: Req): string[] {
  const out: string[] = [];
  const f = r.response_format as { type?: unknown } | undefined;
  if (f !== undefined && !['text', 'json_object', 'json_schema'].includes(String(f?.type))) out.push(`response_format: type "${String(f?.type)}" is not supported by Gemini, not sent`);
  if (Array.isArray(r.tools)) {
    (r.tools as OpenAITool[]).forEach((t, i) => {
      if (t.type !== 'function' || typeof t.function?.name !== 'string') out.push(`tools[${i}]: only function tools are supported by Gemini, not sent`);
      else if (t.function.strict) out.push(`tools[${i}].function.strict: strict schema adherence is not supported by Gemini, the tool was sent without it`);
    });
  }
  const choice = r.tool_choice;
  if (choice !== undefined && toolChoice(choice) === undefined) out.push('tool_choice: this form is not supported by Gemini, not sent');
  return out;
}
