import { parseArgs } from 'node:util';
import { AdminApi, fail, render, table, type Out } from './adminApi';

export const MODELS_USAGE = `gatehouse models <command>   (GATEHOUSE_URL, GATEHOUSE_KEY = an admin or reviewer key)

  list          every model in the catalogue: status now, owner, routes using it
  show NAME     one model: purpose, limitations, data classes, retirement date, routes
  add --json to print the API's JSON
`;

export async function runModelsCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [command, name] = positionals;
  if (command !== 'list' && !(command === 'show' && name)) {
    err(MODELS_USAGE);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const api = AdminApi.fromEnv(env);
  if (!api) return fail(err, 'models', 'set GATEHOUSE_KEY to an admin or reviewer API key');
  const o = { command: `models ${command}`, json: values.json, out, err };
  if (command === 'list') return render(await api.call('GET', '/admin/models'), listing, o);
  return render(await api.call('GET', `/admin/models/${encodeURIComponent(name!)}`), details, o);
}

function listing(j: { data: any[] }): string[] {
  const rows = [['model', 'status', 'provider/upstream', 'owner', 'retires', 'used by']];
  for (const m of j.data) {
    rows.push([m.name, statusOf(m), `${m.provider}/${m.upstream}`, m.owner ?? '-', m.retirementDate ?? '-', usedBy(m) || '-']);
  }
  return table(rows);
}

function details(m: any): string[] {
  return [
    `${m.name}  ${statusOf(m)}${m.routable ? '' : ' (not routable)'}`,
    `  provider:      ${m.provider} (upstream ${m.upstream})`,
    `  owner:         ${m.owner ?? '-'}`,
    `  purpose:       ${m.purpose ?? '-'}`,
    `  data classes:  ${m.dataClasses.join(', ')}${m.private ? ' (private)' : ''}`,
    `  latency:       ${m.latency}${m.contextWindow ? `, context ${m.contextWindow} tokens` : ''}`,
    `  retires:       ${m.retirementDate ?? '-'}`,
    `  used by:       ${usedBy(m) || '-'}`,
    '  limitations:',
    ...(m.limitations.length ? m.limitations.map((l: string) => `    - ${l}`) : ['    (none recorded)']),
  ];
}

function statusOf(m: any): string {
  return m.disabled ? `${m.status}, DISABLED (${m.disabled})` : m.status;
}

function usedBy(m: any): string {
  return m.usedBy.map((u: any) => `${u.route} (${u.as})`).join(', ');
}
