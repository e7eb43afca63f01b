import type { z } from 'zod';

/**
 * One contract method: a zod schema for its input, the TypeScript type of its output (phantom,
 * compile time only) and whether it is sensitive. A sensitive call is logged by name and
 * duration only — never its input or output.
 */
export interface MethodDef<I extends z.ZodType = z.ZodType, O = unknown> {
  readonly input: I;
  readonly sensitive: boolean;
  readonly summary: string;
  /** Phantom: carries the output type; never set at run time. */
  readonly __output?: O;
}

export function method<O>() {
  return <I extends z.ZodType>(def: { input: I; summary: string; sensitive?: boolean }): MethodDef<I, O> => ({
    input: def.input,
    summary: def.summary,
    sensitive: def.sensitive ?? false,
  });
}

/** A server-pushed event with its payload type (phantom). */
export interface EventDef<P = unknown> {
  readonly summary: string;
  readonly __payload?: P;
}

export function event<P>(summary: string): EventDef<P> {
  return { summary };
}
