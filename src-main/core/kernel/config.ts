import { z } from 'zod';

/**
 * One configuration schema for all of core. Each feature declares its fields (zod schema,
 * default, the environment variable and/or command-line flag that may set it, a sentence of
 * documentation); the kernel resolves them once, in this order: flag, environment, default.
 * `minerva config --json` prints every field with its value and where the value came from.
 *
 * A value that does not parse is never fatal: the default is used and the entry says which
 * variable was ignored (the log says so too). Numbers are clamped to their range, as operators'
 * tuning variables always were.
 */
export interface ConfigField<T> {
  schema: z.ZodType<T>;
  default: T;
  /** MINERVA_… */
  env?: string;
  /** A host flag (e.g. `demo-ms` for `--demo-ms`), passed by the host that parsed it. */
  flag?: string;
  doc: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a field of any value type
export type ConfigSchema = Record<string, ConfigField<any>>;
export type ConfigValues<S extends ConfigSchema> = { -readonly [K in keyof S]: S[K] extends ConfigField<infer T> ? T : never };

export type ConfigSource = 'flag' | 'env' | 'default';

export interface ConfigEntry {
  /** `<feature>.<field>` */
  key: string;
  value: unknown;
  source: ConfigSource;
  env: string | null;
  flag: string | null;
  doc: string;
  /** Set when a value was given but did not parse (the default was used). */
  ignored: string | null;
}

export interface ConfigInputs {
  env: Readonly<Record<string, string | undefined>>;
  flags: Readonly<Record<string, string | undefined>>;
}

/** A number from text, clamped to [min, max] (rounded when `int`). */
export function numberField(options: { default: number; min: number; max: number; int?: boolean; env?: string; flag?: string; doc: string }): ConfigField<number> {
  const schema = z.coerce
    .number()
    .refine((n) => Number.isFinite(n), 'not a number')
    .transform((n) => {
      const clamped = Math.min(options.max, Math.max(options.min, n));
      return options.int ? Math.round(clamped) : clamped;
    });
  return { schema, default: options.default, ...(options.env ? { env: options.env } : {}), ...(options.flag ? { flag: options.flag } : {}), doc: options.doc };
}

/** A string (a path, a reference): used as given when non-empty. */
export function stringField(options: { default: string | null; env?: string; flag?: string; doc: string }): ConfigField<string | null> {
  return { schema: z.string().min(1).nullable(), default: options.default, ...(options.env ? { env: options.env } : {}), ...(options.flag ? { flag: options.flag } : {}), doc: options.doc };
}

export function resolveConfig<S extends ConfigSchema>(feature: string, schema: S, inputs: ConfigInputs): { values: ConfigValues<S>; entries: ConfigEntry[] } {
  const values = {} as Record<string, unknown>;
  const entries: ConfigEntry[] = [];
  for (const [field, def] of Object.entries(schema)) {
    let value: unknown = def.default;
    let source: ConfigSource = 'default';
    let ignored: string | null = null;
    const candidates: [ConfigSource, string | undefined, string | undefined][] = [
      ['flag', def.flag, def.flag ? inputs.flags[def.flag] : undefined],
      ['env', def.env, def.env ? inputs.env[def.env] : undefined],
    ];
    for (const [from, name, raw] of candidates) {
      if (raw === undefined || raw === '') continue;
      const parsed = def.schema.safeParse(raw);
      if (parsed.success) {
        value = parsed.data;
        source = from;
        break;
      }
      ignored ??= from === 'flag' ? `--${name}` : (name ?? null);
    }
    values[field] = value;
    entries.push({ key: `${feature}.${field}`, value, source, env: def.env ?? null, flag: def.flag ?? null, doc: def.doc, ignored });
  }
  return { values: values as ConfigValues<S>, entries };
}

/** A schema's defaults, as the values a feature would get with no flag or variable set (tests use it). */
export function defaultsOf<S extends ConfigSchema>(schema: S): ConfigValues<S> {
  return Object.fromEntries(Object.entries(schema).map(([key, field]) => [key, field.default])) as ConfigValues<S>;
}

/** The inputs of this process: its environment, and no flags (hosts add theirs). */
export function processInputs(flags: Record<string, string | undefined> = {}): ConfigInputs {
  return { env: process.env, flags };
}
