import { FAILURE_KINDS, UNKNOWN_FAILURE, conductOf } from './table';

const yesNo = (v: boolean | string) => (v === true ? 'yes' : v === false ? 'no' : v);

/** The table as markdown, for README "Retries and fallback" (so the docs say what the code does). */
export function conductTableMarkdown(): string {
  const head = ['Failure', 'Retry same model', 'Next candidate', 'Feeds breaker', 'Continuation', 'Queue waits', 'Degraded plan', 'Caller gets', 'Notes'];
  const row = (name: string, type: string | undefined) => {
    const r = type === undefined ? UNKNOWN_FAILURE : conductOf(type);
    const caller = `${r.caller.status} \`${r.caller.code}\``;
    const cols = [r.retrySameModel, r.nextCandidate, r.feedsBreaker, r.continuation, r.unavailable.wait, r.unavailable.degraded].map(yesNo);
    return [name, ...cols, caller, r.note ?? ''];
  };
  const rows = [...FAILURE_KINDS.map((k) => row(`\`${k}\``, k)), row('any other (a bug)', undefined)];
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
