/**
 * The admin CLI commands (`routes`, `models`, `canary`) are thin clients of the gateway's admin
 * HTTP API: they need the gateway's URL and a key, never database or Temporal access.
 * GATEHOUSE_URL (default http://127.0.0.1:$GATEHOUSE_PORT or 8080) and GATEHOUSE_KEY.
 */
export type Out = (line: string) => void;

export interface ApiResponse {
  status: number;
  json: any;
}

export class AdminApi {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
  ) {}

  static fromEnv(env: NodeJS.ProcessEnv): AdminApi | undefined {
    if (!env.GATEHOUSE_KEY) return undefined;
    return new AdminApi(env.GATEHOUSE_URL ?? `http://127.0.0.1:${env.GATEHOUSE_PORT ?? 8080}`, env.GATEHOUSE_KEY);
  }

  async call(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<ApiResponse> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: { authorization: `Bearer ${this.key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    try {
      return { status: res.status, json: JSON.parse(text) };
    } catch {
      return { status: res.status, json: { error: { message: text } } };
    }
  }
}

/** The API's error as one line (and its listed problems, e.g. an invalid route table), exit code 1. */
export function failed(err: Out, command: string, res: ApiResponse): number {
  const e = res.json?.error ?? {};
  err(`gatehouse ${command}: ${res.status} ${e.code ?? 'error'}: ${e.message ?? 'request failed'}`);
  return 1;
}

/** Prints the answer (formatted, or as JSON with --json); an error answer fails the command. */
export function render(res: ApiResponse, format: (json: any) => string[], o: { command: string; json?: boolean; out: Out; err: Out }): number {
  if (res.status >= 400) return failed(o.err, o.command, res);
  o.out((o.json ? [JSON.stringify(res.json, null, 2)] : format(res.json)).join('\n'));
  return 0;
}

export function fail(err: Out, command: string, message: string): number {
  err(`gatehouse ${command}: ${message}`);
  return 1;
}

/** Fixed-width table: first row is the header. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
