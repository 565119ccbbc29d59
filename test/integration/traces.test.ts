import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { WORKFLOW_TYPE } from '../../src/temporal/contract';
import { buildWorkflowBundle } from '../../src/temporal/workflowBundle';
import { KEYS, auth, chat, hello, startTestGateway, testConfig } from '../helpers/gateway';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp';
import { spawnGateway, type GatewayProcess } from '../helpers/process';

// OTLP span kinds (the API's plus one).
const SERVER = 2;
const CLIENT = 3;

/** Two routes: `chat` calls the provider in an activity, `summarize` in a local activity. */
const config = (mockUrl: string) => {
  const base = testConfig(mockUrl);
  const routes = base.routes as Array<Record<string, unknown>>;
  return { ...base, routes: routes.map((r) => (r.name === 'summarize' ? { ...r, providerCall: 'local' } : r)) };
};

describe('traces: one request is one trace, from the HTTP request to the provider call', () => {
  let receiver: OtlpReceiver;
  let dir: string;
  const prompts = [`Tell me about the purple elephant ${randomBytes(6).toString('hex')}`, `Summarize the green giraffe ${randomBytes(6).toString('hex')}`];
  const answers: string[] = [];
  const callers = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
  const parents = [randomBytes(8).toString('hex'), randomBytes(8).toString('hex')];
  const streamed = { trace: randomBytes(16).toString('hex'), prompt: `Stream about the blue heron ${randomBytes(6).toString('hex')}` };
  const logLines: Array<Record<string, unknown>> = [];
  const refused = { trace: randomBytes(16).toString('hex'), key: `gh_not-a-key-${randomBytes(12).toString('hex')}` };

  before(async () => {
    receiver = await startOtlpReceiver();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-traces-'));
    // The bundle with the OpenTelemetry workflow interceptors, as the gateway builds it when tracing is on.
    const codePath = await buildWorkflowBundle(join(dir, 'traced.js'), { tracing: true });
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
    const gw = await startTestGateway({ config, logger, workflowBundle: { codePath }, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'gatehouse-under-test' } });
    try {
      for (const [i, task] of ['chat', 'summarize'].entries()) {
        const traceparent = `00-${callers[i]}-${parents[i]}-01`;
        const res = await chat(gw.url, hello(prompts[i]), { ...auth(KEYS.support), 'x-gatehouse-task': task, traceparent });
        assert.equal(res.status, 200, JSON.stringify(res.json));
        answers.push(res.json.choices[0].message.content);
      }
      const stream = await chat(gw.url, { ...hello(streamed.prompt), stream: true }, { ...auth(KEYS.support), traceparent: `00-${streamed.trace}-${parents[0]}-01` });
      assert.equal(stream.status, 200);
      const bad = await chat(gw.url, hello(prompts[0]), { ...auth(refused.key), traceparent: `00-${refused.trace}-${parents[0]}-01` });
      assert.equal(bad.status, 401);
    } finally {
      await gw.close(); // the worker stops first, then the tracer provider sends what it holds
    }
  });

  after(async () => {
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [i, route] of ['chat', 'summarize'].entries()) {
    // On the local route a waiting caller's first try runs in the admission step (src/routing/firstTry.ts).
    const step = i === 0 ? 'callProvider' : 'prepareRequest';
    it(`${route} (${i === 0 ? 'activity' : 'local activity, first try in the admission step'}): HTTP → StartWorkflow → RunWorkflow → StartActivity → RunActivity → provider call, in the caller's trace`, () => {
      const spans = receiver.spans().filter((s) => s.traceId === callers[i]);
      const http = one(spans, (s) => s.kind === SERVER, 'HTTP server span');
      assert.equal(http.name, 'POST /v1/chat/completions');
      assert.equal(http.parentSpanId, parents[i], 'the HTTP span continues the incoming traceparent');
      assert.equal(http.service, 'gatehouse-under-test');
      assert.equal(http.attributes['http.response.status_code'], 200);
      assert.equal(http.attributes['gatehouse.caller'], 'support');
      const start = one(spans, (s) => s.name === `StartWorkflow:${WORKFLOW_TYPE}`, 'StartWorkflow');
      assert.equal(start.parentSpanId, http.spanId);
      const run = one(spans, (s) => s.name === `RunWorkflow:${WORKFLOW_TYPE}`, 'RunWorkflow');
      assert.equal(run.parentSpanId, start.spanId);
      const provider = one(spans, (s) => s.kind === CLIENT && s.name.startsWith('chat '), 'provider call');
      const runActivity = one(spans, (s) => s.spanId === provider.parentSpanId, 'the provider call’s parent');
      assert.equal(runActivity.name, `RunActivity:${step}`);
      const startActivity = one(spans, (s) => s.spanId === runActivity.parentSpanId, 'the activity’s StartActivity');
      assert.equal(startActivity.name, `StartActivity:${step}`);
      assert.equal(startActivity.parentSpanId, run.spanId);
      // Every span of the request hangs off the HTTP span: no orphan, no second trace.
      const ids = new Set(spans.map((s) => s.spanId));
      for (const s of spans) if (s !== http) assert.ok(ids.has(s.parentSpanId!), `${s.name} has its parent in the trace`);
      assert.deepEqual(
        { ...provider.attributes, 'gen_ai.usage.input_tokens': typeof provider.attributes['gen_ai.usage.input_tokens'], 'gen_ai.usage.output_tokens': typeof provider.attributes['gen_ai.usage.output_tokens'] },
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': 'openai-compatible',
          'gen_ai.request.model': route === 'chat' ? 'mock-small' : 'mock-large',
          'gen_ai.response.model': route === 'chat' ? 'mock-small' : 'mock-large',
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': 'number',
          'gen_ai.usage.output_tokens': 'number',
          'gatehouse.provider': 'mock',
          'gatehouse.model': route === 'chat' ? 'small' : 'large',
          'gatehouse.route': route,
          'gatehouse.request_id': http.attributes['gatehouse.request_id'],
          'gatehouse.attempt': 1,
          'gatehouse.stream': false,
          'gatehouse.outcome': 'ok',
        },
      );
    });
  }

  it('a streamed answer: the same chain, the provider call marked as a stream', () => {
    const spans = receiver.spans().filter((s) => s.traceId === streamed.trace);
    const provider = one(spans, (s) => s.kind === CLIENT, 'provider call');
    assert.equal(provider.attributes['gatehouse.stream'], true);
    assert.equal(provider.attributes['gatehouse.outcome'], 'ok');
    const chain = [];
    for (let s: ReceivedSpan | undefined = provider; s; s = spans.find((p) => p.spanId === s!.parentSpanId)) chain.push(s.name);
    assert.deepEqual(chain, ['chat mock-small', 'RunActivity:callProvider', 'StartActivity:callProvider', `RunWorkflow:${WORKFLOW_TYPE}`, `StartWorkflow:${WORKFLOW_TYPE}`, 'POST /v1/chat/completions']);
  });

  it('a request refused at the front door (bad key) is one HTTP span with its status, and no workflow', () => {
    const spans = receiver.spans().filter((s) => s.traceId === refused.trace);
    assert.deepEqual(spans.map((s) => s.name), ['POST /v1/chat/completions']);
    assert.equal(spans[0]!.attributes['http.response.status_code'], 401);
    assert.equal(spans[0]!.attributes['gatehouse.caller'], undefined);
  });

  it('the request log line names its trace (trace_id), the refusal too', () => {
    const requestLine = (trace: string) => logLines.filter((l) => l.msg === 'request' && l.trace_id === trace);
    assert.equal(requestLine(callers[0]!).length, 1, JSON.stringify(logLines.filter((l) => l.msg === 'request')));
    assert.equal(requestLine(refused.trace)[0]?.status, 401);
  });

  it('no span carries the prompt, the answer or the caller key (attributes, events, names)', () => {
    const sent = receiver.raw();
    assert.ok(receiver.spans().length >= 10, 'spans were exported');
    for (const text of [...prompts, ...answers, KEYS.support, streamed.prompt, refused.key]) assert.ok(!sent.includes(text), `exported spans contain "${text.slice(0, 30)}…"`);
    // The mock's answer quotes the prompt: it passed through the spans' workflow, not into them.
    assert.ok(answers.every((a, i) => a.includes(prompts[i]!)));
  });
});

describe('traces across processes: a front door and a worker in another OS process make one trace', () => {
  let receiver: OtlpReceiver;
  let dir: string;
  const trace = randomBytes(16).toString('hex');

  before(async () => {
    receiver = await startOtlpReceiver();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-traces-'));
    const bundle = await buildWorkflowBundle(join(dir, 'traced.js'), { tracing: true });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
    // The front door here (no worker); the worker is `gatehouse start` with GATEHOUSE_ROLE=worker on its data dir and queue.
    const front = await startTestGateway({ worker: false, env: { ...otel, OTEL_SERVICE_NAME: 'gatehouse-front' } });
    let worker: GatewayProcess | undefined;
    try {
      const env = { ...front.env, ...otel, OTEL_SERVICE_NAME: 'gatehouse-worker', GATEHOUSE_ROLE: 'worker', GATEHOUSE_CONFIG: front.configFile, GATEHOUSE_DATA_DIR: front.dir, GATEHOUSE_WORKFLOW_BUNDLE: bundle };
      worker = await spawnGateway(env);
      const res = await chat(front.url, hello(), { ...auth(KEYS.support), traceparent: `00-${trace}-${randomBytes(8).toString('hex')}-01` });
      assert.equal(res.status, 200, JSON.stringify(res.json));
    } finally {
      worker?.child.kill('SIGTERM'); // a graceful stop sends the worker's spans
      await worker?.exited;
      await front.close();
    }
  });

  after(async () => {
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the workflow and provider spans (worker process) hang off the StartWorkflow span (front door)', () => {
    const spans = receiver.spans().filter((s) => s.traceId === trace);
    const start = one(spans, (s) => s.name === `StartWorkflow:${WORKFLOW_TYPE}`, 'StartWorkflow');
    const run = one(spans, (s) => s.name === `RunWorkflow:${WORKFLOW_TYPE}`, 'RunWorkflow');
    const provider = one(spans, (s) => s.kind === CLIENT, 'provider call');
    assert.equal(start.service, 'gatehouse-front');
    assert.equal(one(spans, (s) => s.kind === SERVER, 'HTTP').service, 'gatehouse-front');
    assert.equal(run.service, 'gatehouse-worker');
    assert.equal(provider.service, 'gatehouse-worker');
    assert.equal(run.parentSpanId, start.spanId);
    const ids = new Set(spans.map((s) => s.spanId));
    assert.ok(spans.every((s) => s.kind === SERVER || ids.has(s.parentSpanId!)), 'one connected tree');
  });
});

describe('traces off (no OTLP endpoint): nothing is installed', () => {
  it('no client interceptor, no tracing on the gateway, requests answered as usual', async () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
    const gw = await startTestGateway({ env });
    try {
      assert.equal(gw.tracing, undefined);
      assert.deepEqual(gw.client.options.interceptors.workflow ?? [], []);
      const res = await chat(gw.url, hello(), auth(KEYS.support));
      assert.equal(res.status, 200);
    } finally {
      await gw.close();
    }
  });
});

function one(spans: ReceivedSpan[], pred: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan {
  const found = spans.filter(pred);
  assert.equal(found.length, 1, `${what}: ${found.length} found among ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}
