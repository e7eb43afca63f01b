import type { MethodName, MethodOutput, MethodParsedInput } from '@shared/contract';

/** Who is calling: the transport and a connection id, for logs and audit. Never a secret. */
export interface CallContext {
  transport: 'electron' | 'headless' | 'control' | 'test';
  clientId: string;
}

export type Handler<K extends MethodName> = (input: MethodParsedInput<K>, ctx: CallContext) => Promise<MethodOutput<K>> | MethodOutput<K>;

/** A service's share of the contract: `{ 'domain.verb': handler, … }`. */
export type HandlerGroup<K extends MethodName> = { [M in K]: Handler<M> };

/** Every method of the contract must have a handler; the compiler checks create-core.ts. */
export type Handlers = HandlerGroup<MethodName>;
