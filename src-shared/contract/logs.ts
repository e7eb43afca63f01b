import { z } from 'zod';
import { event, method } from './define';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A log line as the UI sees it: already redacted by core. */
export interface LogEntry {
  seq: number;
  ts: string;
  level: LogLevel;
  scope: string;
  msg: string;
  fields?: Record<string, unknown>;
}

export const logsMethods = {
  'logs.tail': method<{ entries: LogEntry[] }>()({
    input: z
      .object({
        limit: z.number().int().min(1).max(2000).default(200),
        minLevel: z.enum(LOG_LEVELS).default('debug'),
        scope: z.string().max(64).optional(),
      })
      .strict(),
    summary: 'The most recent log lines (redacted), oldest first.',
  }),
};

export const logsEvents = {
  'logs.appended': event<LogEntry>('A new log line was written.'),
};
