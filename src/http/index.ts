export { buildHttpServer, type HttpDeps } from './server';
export { RequestStarter, requestWorkflowId } from './requests';
