import { renameSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { hashApiKey, newApiKey } from '../auth';
import { ConfigError, parseConfigText } from '../config';
import { parseDuration } from '../config/duration';
import type { Out } from './adminApi';

export const KEYS_USAGE = `gatehouse keys <command>

  new                  print a new API key and the keyHash to put in the config
  rotate CALLER        a new key for CALLER; the old one stays valid for --keep (default 7d)
      --keep 7d        how long the old key keeps working (s, m, h, d)
      --config FILE    the config file (default $GATEHOUSE_CONFIG or ./gatehouse.config.yaml)
      --write          write the change into the file (running gateways reload it); else only print it
`;

/** `gatehouse keys new | rotate`: keys are printed once and never stored; the config holds hashes only. */
export function runKeysCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error, now = new Date()): number {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { keep: { type: 'string', default: '7d' }, config: { type: 'string' }, write: { type: 'boolean' } },
  });
  const [command, caller] = positionals;
  if (command === 'new') return printNewKey(out);
  if (command !== 'rotate' || !caller) {
    err(KEYS_USAGE);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const file = values.config ?? env.GATEHOUSE_CONFIG ?? 'gatehouse.config.yaml';
  try {
    return rotate({ file, caller, keepMs: parseDuration(values.keep), write: values.write === true, now }, out, err);
  } catch (e) {
    err(`gatehouse keys rotate: ${e instanceof ConfigError ? e.message : (e as Error).message}`);
    return 1;
  }
}

function printNewKey(out: Out): number {
  const key = newApiKey();
  out(`key:     ${key}\nkeyHash: ${hashApiKey(key)}`);
  return 0;
}

interface Rotation {
  file: string;
  caller: string;
  keepMs: number;
  write: boolean;
  now: Date;
}

function rotate(r: Rotation, out: Out, err: Out): number {
  const text = readFileSync(r.file, 'utf8');
  const current = parseConfigText(text, r.file).callers[r.caller];
  if (!current) throw new Error(`no caller "${r.caller}" in ${r.file}`);
  if (!current.keyHash) throw new Error(`caller "${r.caller}" has no keyHash (a demo caller): give it one with \`gatehouse keys new\` first`);
  if (current.previousKey && Date.parse(current.previousKey.expiresAt) > r.now.getTime()) {
    err(`note: the key rotated out before (valid until ${current.previousKey.expiresAt}) stops working now`);
  }
  const key = newApiKey();
  const keyHash = hashApiKey(key);
  const previousKey = { keyHash: current.keyHash, expiresAt: new Date(r.now.getTime() + r.keepMs).toISOString() };
  // The change goes into the document, so the file keeps its comments and layout.
  const doc = parseDocument(text);
  doc.setIn(['callers', r.caller, 'keyHash'], keyHash);
  doc.setIn(['callers', r.caller, 'previousKey'], doc.createNode(previousKey));
  const updated = doc.toString();
  parseConfigText(updated, r.file); // the result must be a valid config, or nothing is written
  out(`key:     ${key}\nkeyHash: ${keyHash}\n`);
  out(`The change for caller "${r.caller}" in ${r.file} (the old key works until ${previousKey.expiresAt}):`);
  out(`callers:\n  ${r.caller}:\n    keyHash: ${keyHash}\n    previousKey:\n      keyHash: ${previousKey.keyHash}\n      expiresAt: ${previousKey.expiresAt}`);
  if (!r.write) {
    out(`\nNot written: run again with --write, or edit the file. Running gateways reload it on change.`);
    return 0;
  }
  writeAtomically(r.file, updated);
  out(`\nWritten to ${r.file}; running gateways reload it within seconds (or send them SIGHUP).`);
  return 0;
}

/** Temp file + rename in the same directory: a gateway reading the file never sees half of it. */
function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, text, { mode: statSync(file).mode & 0o777 });
  renameSync(tmp, file);
}
