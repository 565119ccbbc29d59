import { CancelledFailure, Client, Connection, WorkflowFailedError, type DataConverter, type WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { join } from 'node:path';
import { ClientRequestSchema, formatIssues, type ClientRequest } from '../config';
import { fromFailure, invalidRequest, requestCancelled } from '../errors';
import { parseQueuePreference } from '../queue/decide';
import { loadCredentialKeys } from '../auth/credentialSeal';
import { loadCodec } from '../temporal/codec';
import { gatehouseDataConverter } from '../temporal/dataConverter';
import { embeddingsResponse, parseEmbeddingsBody } from '../embeddings/request';
import type { EmbeddingsResult, GatewayResponse, RequestStatusView } from '../temporal/contract';
import { TASK_QUEUE } from '../temporal/contract';
import { RequestStarter } from '../temporal/requestStarter';
import { statusQuery } from '../../workflows/definitions';

export interface GatehouseClientOptions {
  /** The caller's Gatehouse API key: never sent, only its hash sealed to the workers for each request. */
  apiKey: string;
  /** Default: `TEMPORAL_ADDRESS` & co. (envconfig), else the embedded dev server on 127.0.0.1. */
  temporal?: { client: Client } | { address: string; namespace?: string };
  taskQueue?: string;
  /** The gateway's payload codec: GATEHOUSE_CODEC_KEY, else `<dataDir>/codec-key` (default ./data). */
  dataConverter?: DataConverter;
  /**
   * The workers' credential public key (base64), to which the API key is sealed (only its hash, for
   * one request): else GATEHOUSE_CREDENTIAL_PUBLIC_KEY, else `<dataDir>/credential-key.pub`.
   */
  credentialPublicKey?: string;
  env?: NodeJS.ProcessEnv;
}

/** A request started through the client (or found by id): follow, await or cancel it. */
export class GatehouseRequest {
  constructor(private readonly handle: WorkflowHandle) {}

  get requestId(): string {
    return this.handle.workflowId;
  }

  /** The answer, or the gateway's typed error (`GatewayError` with status and code; `request_cancelled` once cancelled). */
  async result<T = GatewayResponse>(): Promise<T> {
    try {
      return (await this.handle.result()) as T;
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      if (err.cause instanceof CancelledFailure) throw requestCancelled();
      throw fromFailure(err) ?? err;
    }
  }

  /** Current step, route, model and attempts (a Temporal query; works while running and after). */
  status(): Promise<RequestStatusView> {
    return this.handle.query(statusQuery);
  }

  /** Cancels the request: the provider call stops, the ledger records it as cancelled. */
  async cancel(): Promise<void> {
    await this.handle.cancel();
  }
}

/**
 * For services that already run on Temporal: starts the same `aiRequest` workflow as the HTTP front
 * door, so authentication, policy, limits and the ledger apply exactly as there.
 */
export class GatehouseClient {
  private constructor(
    private readonly starter: RequestStarter,
    private readonly apiKey: string,
    private readonly ownedConnection?: Connection,
  ) {}

  static async connect(opts: GatehouseClientOptions): Promise<GatehouseClient> {
    const env = opts.env ?? process.env;
    const dataDir = env.GATEHOUSE_DATA_DIR ?? 'data';
    const dataConverter = opts.dataConverter ?? gatehouseDataConverter(loadCodec(env, join(dataDir, 'codec-key')));
    const taskQueue = opts.taskQueue ?? env.GATEHOUSE_TASK_QUEUE ?? TASK_QUEUE;
    const keyEnv = opts.credentialPublicKey ? { GATEHOUSE_CREDENTIAL_PUBLIC_KEY: opts.credentialPublicKey } : env;
    const { sealer } = loadCredentialKeys(keyEnv, dataDir, { open: false, create: false });
    const starter = (client: Client) => new RequestStarter(client, taskQueue, false, sealer);
    if (opts.temporal && 'client' in opts.temporal) return new GatehouseClient(starter(opts.temporal.client), opts.apiKey);
    const { connectionOptions, namespace } = connectOptions(env, opts.temporal);
    const connection = await Connection.connect(connectionOptions);
    const client = new Client({ connection, namespace, dataConverter });
    return new GatehouseClient(starter(client), opts.apiKey, connection);
  }

  /** Start and await the answer. */
  async request(input: ClientRequest): Promise<GatewayResponse> {
    return (await this.start(input)).result();
  }

  /**
   * Start (or, with the same `requestId`, rejoin) a request. Invalid input fails here. The
   * `requestId` is this API key's idempotency key: the request's id is `req-<key tag>-<requestId>`
   * (see `request.requestId`), so another caller's equal `requestId` is another request.
   */
  async start(input: ClientRequest): Promise<GatehouseRequest> {
    const parsed = ClientRequestSchema.safeParse(input);
    if (!parsed.success) {
      throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), parsed.error.issues[0]?.path.join('.'));
    }
    const { body, task, risk, latency, priority, degraded, requestId, cacheControl } = parsed.data;
    const queue = parseQueuePreference(parsed.data.queue);
    const { handle } = await this.starter.start({ credential: this.apiKey, task, risk, latency, priority, body, degraded, ...(cacheControl ? { cacheControl } : {}), ...(queue ? { queue } : {}) }, requestId);
    return new GatehouseRequest(handle);
  }

  /**
   * Embeddings through the same workflow path as `POST /v1/embeddings`: `body` in OpenAI's shape
   * (text inputs; floats unless `encoding_format: 'base64'`), the rest as for `request`.
   */
  async embeddings(input: Omit<ClientRequest, 'body'> & { body: unknown }) {
    const body = parseEmbeddingsBody(input.body);
    const parsed = ClientRequestSchema.omit({ body: true }).safeParse({ task: input.task, risk: input.risk, latency: input.latency, priority: input.priority, requestId: input.requestId });
    if (!parsed.success) {
      throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), parsed.error.issues[0]?.path.join('.'));
    }
    const { task, risk, latency, priority, requestId } = parsed.data;
    const { handle } = await this.starter.startEmbeddings({ credential: this.apiKey, task, risk, latency, priority, body }, requestId);
    return embeddingsResponse(await new GatehouseRequest(handle).result<EmbeddingsResult>(), body.encoding_format);
  }

  /** A request started anywhere (HTTP included), by its full request id (`requestId`, or HTTP's `x-gatehouse-request-id`). */
  get(requestId: string): GatehouseRequest {
    return new GatehouseRequest(this.starter.client.workflow.getHandle(requestId));
  }

  async close(): Promise<void> {
    await this.ownedConnection?.close();
  }
}

function connectOptions(env: NodeJS.ProcessEnv, given?: { address: string; namespace?: string }) {
  if (given) return { connectionOptions: { address: given.address }, namespace: given.namespace ?? 'default' };
  if (env.TEMPORAL_ADDRESS) {
    const cfg = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> });
    const { address, tls, apiKey, metadata } = cfg.connectionOptions;
    return { connectionOptions: { address, tls, apiKey, metadata }, namespace: cfg.namespace ?? 'default' };
  }
  return { connectionOptions: { address: `127.0.0.1:${env.GATEHOUSE_TEMPORAL_PORT ?? 7233}` }, namespace: 'default' };
}
