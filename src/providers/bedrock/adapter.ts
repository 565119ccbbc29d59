import { ChatCompletionSchema, type ChatCompletion, type ChatCompletionRequest } from '../../config/api';
import { endFailedCall } from '../brokenStream';
import { AttemptWatchdog, deadlinesFromTimeout } from '../deadlines';
import type { CallOptions, ChatProvider } from '../types';
import { UpstreamError } from '../upstreamError';
import { bedrockClient, type BedrockSettings } from './client';
import { embedInvoke } from './embed';
import { mapBedrockError } from './mapError';
import { toConverse } from './mapRequest';
import { fromConverse } from './mapResponse';
import { streamConverse } from './stream';
import { unsupportedFields } from './unsupported';

/**
 * AWS Bedrock through its runtime SDK: chat via Converse / ConverseStream (one API for every model
 * family on Bedrock), embeddings via InvokeModel. `upstreamModel` is a model id, an inference
 * profile id or an ARN. Requests are SigV4-signed by the SDK with the standard AWS credentials.
 */
export function createBedrockProvider(settings: BedrockSettings, env: NodeJS.ProcessEnv): ChatProvider {
  const client = bedrockClient(settings, env);
  return {
    outputCapField: 'max_tokens',
    async complete(upstreamModel: string, req: ChatCompletionRequest, opts: CallOptions): Promise<ChatCompletion> {
      const watchdog = new AttemptWatchdog(deadlinesFromTimeout(opts.timeoutMs), opts.signal, false);
      let answer: ChatCompletion;
      try {
        const sdk = await client.sdk();
        const command = new sdk.ConverseCommand({ modelId: upstreamModel, ...toConverse(req) });
        const out = await (await client.client()).send(command, { abortSignal: watchdog.signal });
        answer = fromConverse(out, { id: `chatcmpl-bedrock-${out.$metadata.requestId ?? Date.now()}`, model: upstreamModel, created: Math.floor(Date.now() / 1000) });
      } catch (err) {
        endFailedCall(err, opts.signal, watchdog, mapBedrockError);
      } finally {
        watchdog.stop();
      }
      const parsed = ChatCompletionSchema.safeParse(answer);
      if (!parsed.success) throw new UpstreamError('malformed', 'Bedrock answer is not a chat completion');
      return parsed.data;
    },
    stream: (upstreamModel, req, opts) => streamConverse(client, upstreamModel, req, opts),
    unsupported: unsupportedFields,
    embed: (upstreamModel, req, opts) => embedInvoke(client, upstreamModel, req, opts),
  };
}
