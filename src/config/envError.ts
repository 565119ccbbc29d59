/** An environment variable the gateway cannot honour: said in one line at start, without a stack. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}
