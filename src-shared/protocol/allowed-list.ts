/**
 * `ENCRYPTION_ALLOWED_LIST` (PROTOCOLS §2.2): `;`-separated entries, no spaces:
 *   `ADDR[,ADDR…]`                 global — any scoped key
 *   `SESSION:ADDR[,ADDR…]`         the session key and every task key of that session
 *   `SESSION-TASK:ADDR[,ADDR…]`    only that task's key
 * Addresses are `0x` + 40 hex, compared case-insensitively. An empty string is a valid, empty list;
 * any bad entry is an `ALLOWED_LIST_INVALID` error naming its 1-based position.
 */
import { AppError } from '@shared/contract/errors';
import { isId } from './hkdf-keys';

const ADDR = /^0x[0-9a-fA-F]{40}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

export interface AllowedList {
  readonly global: ReadonlySet<string>;
  /** session id → addresses (lowercase). */
  readonly sessions: ReadonlyMap<number, ReadonlySet<string>>;
  /** `"<session>:<task>"` → addresses (lowercase). */
  readonly tasks: ReadonlyMap<string, ReadonlySet<string>>;
}

export function isEvmAddress(value: unknown): value is string {
  return typeof value === 'string' && ADDR.test(value);
}

function decimalId(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return isId(n) ? n : undefined;
}

function add<K>(map: Map<K, Set<string>>, key: K, addrs: string[]): void {
  const set = map.get(key) ?? new Set<string>();
  for (const a of addrs) set.add(a);
  map.set(key, set);
}

export function parseAllowedList(text: unknown): AllowedList {
  if (typeof text !== 'string') throw new AppError('ALLOWED_LIST_INVALID', 'ENCRYPTION_ALLOWED_LIST must be a string.');
  const global = new Set<string>();
  const sessions = new Map<number, Set<string>>();
  const tasks = new Map<string, Set<string>>();
  if (text === '') return { global, sessions, tasks };
  const entries = text.split(';');
  entries.forEach((entry, i) => {
    const position = i + 1;
    const bad = (why: string): AppError => new AppError('ALLOWED_LIST_INVALID', `ENCRYPTION_ALLOWED_LIST entry ${position} ("${entry.slice(0, 64)}") ${why}.`, { details: { position } });
    if (entry === '') throw bad('is empty');
    const colon = entry.indexOf(':');
    const scope = colon < 0 ? undefined : entry.slice(0, colon);
    const addrText = colon < 0 ? entry : entry.slice(colon + 1);
    const addrs = addrText.split(',');
    for (const a of addrs) if (!ADDR.test(a)) throw bad('has an address that is not 0x + 40 hex');
    const lower = addrs.map((a) => a.toLowerCase());
    if (scope === undefined) {
      for (const a of lower) global.add(a);
      return;
    }
    const dash = scope.indexOf('-');
    if (dash < 0) {
      const session = decimalId(scope);
      if (session === undefined) throw bad('has a session that is not a decimal id');
      add(sessions, session, lower);
      return;
    }
    const session = decimalId(scope.slice(0, dash));
    const task = decimalId(scope.slice(dash + 1));
    if (session === undefined || task === undefined) throw bad('has a SESSION-TASK that is not two decimal ids');
    add(tasks, `${session}:${task}`, lower);
  });
  return { global, sessions, tasks };
}

/**
 * May `address` get the key of this scope? Global entries: any scope; a session entry: the session
 * and its tasks; a task entry: only that task. (Chain membership, §2.9, is the caller's union.)
 */
export function isAllowed(list: AllowedList, address: string, sessionId: number, taskId?: number | null): boolean {
  if (!isEvmAddress(address)) return false;
  const a = address.toLowerCase();
  if (list.global.has(a)) return true;
  if (list.sessions.get(sessionId)?.has(a) === true) return true;
  if (taskId !== null && taskId !== undefined) return list.tasks.get(`${sessionId}:${taskId}`)?.has(a) === true;
  return false;
}

/** Is `address` allowed for at least one session or task (the miner API's 403 check, §2.6)? */
export function isAllowedAnywhere(list: AllowedList, address: string): boolean {
  if (!isEvmAddress(address)) return false;
  const a = address.toLowerCase();
  if (list.global.has(a)) return true;
  for (const set of list.sessions.values()) if (set.has(a)) return true;
  for (const set of list.tasks.values()) if (set.has(a)) return true;
  return false;
}

/** Task ids of `sessionId` this address is allowed for only by task entries. */
export function allowedTasks(list: AllowedList, address: string, sessionId: number): number[] {
  const a = address.toLowerCase();
  const out: number[] = [];
  for (const [key, set] of list.tasks) {
    const [s, t] = key.split(':');
    if (Number(s) === sessionId && set.has(a)) out.push(Number(t));
  }
  return out;
}
