/**
 * `npm run example:client`: the TypeScript client against the embedded default.
 * Start the gateway first (`npm start` in another terminal); this uses its demo key, codec key and
 * credential public key (`credential-key.pub`, to which the API key is sealed) from ./data and the
 * dev server on 127.0.0.1:7233.
 */
import { readFileSync } from 'node:fs';
import { GatehouseClient, GatewayError } from 'gatehouse';

async function main(): Promise<void> {
  const apiKey = process.env.GATEHOUSE_KEY ?? readFileSync('data/demo-key', 'utf8').trim();
  const client = await GatehouseClient.connect({ apiKey });
  try {
    // Start, follow, await.
    const req = await client.start({
      body: { model: 'auto', messages: [{ role: 'user', content: 'Hello from the TypeScript client' }] },
      requestId: `example-${Date.now()}`,
    });
    console.log('started', req.requestId, 'status:', (await req.status()).step);
    const answer = await req.result();
    console.log('answer:', answer.choices[0]?.message.content);
    console.log('route:', answer.gatehouse.route, 'model:', answer.gatehouse.model, 'request:', answer.gatehouse.request_id);

    // Errors are typed, with the same status and code as over HTTP.
    await client.request({ body: { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] } }).catch((err: unknown) => {
      if (err instanceof GatewayError) console.log('refused as expected:', err.status, err.code);
      else throw err;
    });
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  console.error(String(err?.message ?? err).includes('connect') ? 'Is the gateway running? Start it with `npm start`.' : err);
  process.exit(1);
});
