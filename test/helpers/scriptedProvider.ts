import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedMessage {
  role: string;
  content?: unknown;
}

/** Decides the answer text from the upstream model name and the messages the gateway sent. */
export type Script = (model: string, messages: ScriptedMessage[]) => string;

export interface ScriptedProvider {
  url: string;
  /** Every request body received, in order. */
  requests: Array<{ model: string; messages: ScriptedMessage[] }>;
  close(): Promise<void>;
}

/**
 * A tiny OpenAI-compatible provider on 127.0.0.1 whose answers a test scripts, for paths the mock's
 * echo cannot reach (an answer that changes after a repair prompt, a fallback that answers differently).
 */
export async function startScriptedProvider(script: Script): Promise<ScriptedProvider> {
  const requests: ScriptedProvider['requests'] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; messages: ScriptedMessage[] };
      requests.push(body);
      const content = script(body.model, body.messages);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: `chatcmpl-scripted-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, requests, close: () => new Promise((r) => server.close(() => r())) };
}
