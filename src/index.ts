// The package's public surface: `import { GatehouseClient } from 'gatehouse'`.
export { GatehouseClient, GatehouseRequest, type GatehouseClientOptions } from './client';
export { GatewayError } from './errors';
export type { ClientRequest, ChatCompletionRequest, ChatCompletion } from './config/api';
export type { GatewayResponse, GatehouseMeta, RequestStatusView, AttemptRecord } from './temporal/contract';
export { startGateway, type GatewayOptions, type RunningGateway } from './gateway';
