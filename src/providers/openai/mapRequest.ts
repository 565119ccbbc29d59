import type { ChatCompletionRequest } from '../../config/api';

/** Gateway-only fields that an upstream would reject or should never see. */
const GATEWAY_FIELDS = ['metadata', 'stream', 'stream_options'] as const;

export function toUpstreamRequest(upstreamModel: string, req: ChatCompletionRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { ...req, model: upstreamModel };
  for (const f of GATEWAY_FIELDS) delete body[f];
  return body;
}
