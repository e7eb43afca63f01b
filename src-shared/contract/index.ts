/**
 * The one typed RPC contract between the UI and core. Each domain keeps its methods and events in
 * its own file; this index merges them. Adding a domain: create `<domain>.ts` exporting
 * `<domain>Methods` (and `<domain>Events`), then add it to both maps below.
 *
 * Names: methods `domain.verbNoun`, events `domain.pastTense` (STYLE.md).
 */
import type { z } from 'zod';
import { appMethods } from './app';
import { bittensorEvents, bittensorMethods } from './bittensor';
import { checkpointsEvents, checkpointsMethods } from './checkpoints';
import { competitionsEvents, competitionsMethods } from './competitions';
import { logsEvents, logsMethods } from './logs';
import { rewardsEvents, rewardsMethods } from './rewards';
import { networksEvents, networksMethods } from './networks';
import { settingsEvents, settingsMethods } from './settings';
import { vaultEvents, vaultMethods } from './vault';
import { runtimeEvents, runtimeMethods } from './runtime';
import { inferenceEvents, inferenceMethods } from './inference';
import { runnerEvents, runnerMethods } from './runner';
import { diagnosticsMethods } from './diagnostics';
import { notificationsEvents, updatesEvents, updatesMethods } from './updates';
import { presenceEvents, presenceMethods } from './presence';
import type { EventDef, MethodDef } from './define';
import type { AppErrorCode } from './errors';

export const methods = {
  ...appMethods,
  ...settingsMethods,
  ...logsMethods,
  ...vaultMethods,
  ...networksMethods,
  ...bittensorMethods,
  ...competitionsMethods,
  ...rewardsMethods,
  ...runtimeMethods,
  ...checkpointsMethods,
  ...inferenceMethods,
  ...runnerMethods,
  ...diagnosticsMethods,
  ...updatesMethods,
  ...presenceMethods,
} satisfies Record<string, MethodDef>;

export const events = {
  ...settingsEvents,
  ...logsEvents,
  ...vaultEvents,
  ...networksEvents,
  ...bittensorEvents,
  ...competitionsEvents,
  ...rewardsEvents,
  ...runtimeEvents,
  ...checkpointsEvents,
  ...inferenceEvents,
  ...runnerEvents,
  ...updatesEvents,
  ...notificationsEvents,
  ...presenceEvents,
} satisfies Record<string, EventDef>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What a caller may send (defaults not yet applied). */
export type MethodInput<K extends MethodName> = z.input<Methods[K]['input']>;
/** What a handler receives (validated, defaults applied). */
export type MethodParsedInput<K extends MethodName> = z.output<Methods[K]['input']>;
export type MethodOutput<K extends MethodName> = Methods[K] extends MethodDef<z.ZodType, infer O> ? O : never;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = Events[E] extends EventDef<infer P> ? P : never;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

// ---- Envelopes (identical over Electron IPC and the headless WebSocket) ----

export interface RpcErrorBody {
  code: AppErrorCode;
  message: string;
}

export type RpcReply<T = unknown> = { ok: true; result: T } | { ok: false; error: RpcErrorBody };

export interface RpcEventMessage {
  event: string;
  payload: unknown;
}

/** Exactly what the Electron preload exposes, and what the headless transport implements. */
export interface RpcBridge {
  invoke(method: string, input: unknown): Promise<RpcReply>;
  onEvent(listener: (message: RpcEventMessage) => void): () => void;
}

export * from './errors';
export * from './app';
export * from './settings';
export * from './logs';
export * from './vault';
export * from './networks';
export * from './bittensor';
export * from './competitions';
export * from './rewards';
export * from './checkpoints';
export * from './runtime';
export * from './diagnostics';
export * from './updates';
export * from './presence';
export { method, event } from './define';
export type { MethodDef, EventDef } from './define';
