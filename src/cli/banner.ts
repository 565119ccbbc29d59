export interface BannerInfo {
  url?: string;
  uiUrl?: string;
  temporal: string;
  demoKey?: string;
  /** Where the demo key is kept (absent when it came from GATEHOUSE_DEMO_KEY). */
  demoKeyFile?: string;
}

/**
 * `gatehouse start`'s banner. The demo key itself only on a terminal: piped or collected stdout
 * (systemd, docker logs, CI) gets where the key is, never the key.
 */
export function bannerText(b: BannerInfo, tty: boolean): string {
  const lines = ['', 'Gatehouse is running.', `  Temporal:    ${b.temporal}`];
  if (b.uiUrl) lines.push(`  Temporal UI: ${b.uiUrl}`);
  if (b.url) lines.push(`  Gateway:     ${b.url}`, `  Console:     ${b.url}/console (sign in with a reviewer or admin key)`);
  const shown = b.demoKey && tty ? b.demoKey : undefined;
  const where = b.demoKeyFile ? `in ${b.demoKeyFile}` : 'from GATEHOUSE_DEMO_KEY';
  if (b.demoKey) lines.push(`  Demo key:    ${shown ?? where}`);
  if (b.url && b.demoKey) {
    const bearer = shown ?? (b.demoKeyFile ? `$(cat ${b.demoKeyFile})` : '$GATEHOUSE_DEMO_KEY');
    lines.push('', 'Try it:', `  curl -s ${b.url}/v1/chat/completions -H "Authorization: Bearer ${bearer}" \\`);
    lines.push(`    -H 'Content-Type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'`);
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return lines.join('\n');
}

/** The banner as one log line (JSON logs): a readable message, the same facts as fields, never the key. */
export function bannerLog(b: BannerInfo): { msg: string; fields: Record<string, string> } {
  const where = b.url ? `Gateway: ${b.url} ` : '';
  const msg = `Gatehouse is running. ${where}Temporal: ${b.temporal}`;
  const fields: Record<string, string> = { temporal: b.temporal };
  if (b.url) fields.gateway = b.url;
  if (b.uiUrl) fields.temporalUi = b.uiUrl;
  if (b.demoKey) fields.demoKey = b.demoKeyFile ? `in ${b.demoKeyFile}` : 'from GATEHOUSE_DEMO_KEY';
  return { msg, fields };
}
