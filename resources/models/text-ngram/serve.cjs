'use strict';
/**
 * Minerva model protocol (PROTOCOLS §7), the model's side: JSON lines on stdin/stdout.
 * Request  {"id", "method", "params"}  →  reply {"id", "result"} or {"id", "error": {"code", "message"}}.
 * Methods: health, infer, setup, call, reset. Logs go to stderr, never stdout.
 * This file is identical in every demo bundle; copy it into yours unchanged.
 */
const METHODS = new Set(['health', 'infer', 'setup', 'call', 'reset']);
const MAX_MESSAGE_BYTES = Number(process.env.MINERVA_MAX_MESSAGE_BYTES || 8 * 1024 * 1024);

/**
 * Serves `model` (an object with any of the methods above; each takes `params` and returns a
 * value or a promise) over the given streams. Requests are handled one at a time, in order.
 */
function serve(model, io = {}) {
  const input = io.input || process.stdin;
  const output = io.output || process.stdout;
  const exit = io.exit || ((code) => process.exit(code));
  let buffer = '';
  let busy = false;
  const queue = [];

  const reply = (message) => {
    output.write(`${JSON.stringify(message)}\n`);
  };

  const handle = (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      reply({ id: null, error: { code: 'BAD_REQUEST', message: 'the request is not JSON' } });
      return undefined;
    }
    const id = msg && msg.id !== undefined ? msg.id : null;
    const method = msg && msg.method;
    if (!METHODS.has(method) || typeof model[method] !== 'function') {
      reply({ id, error: { code: 'UNKNOWN_METHOD', message: `this model does not answer "${String(method)}"` } });
      return undefined;
    }
    let result;
    try {
      result = model[method](msg.params === undefined ? null : msg.params);
    } catch (err) {
      reply({ id, error: { code: (err && err.code) || 'MODEL_ERROR', message: String((err && err.message) || err) } });
      return undefined;
    }
    if (result && typeof result.then === 'function') {
      return result.then(
        (value) => reply({ id, result: value === undefined ? null : value }),
        (err) => reply({ id, error: { code: (err && err.code) || 'MODEL_ERROR', message: String((err && err.message) || err) } }),
      );
    }
    reply({ id, result: result === undefined ? null : result });
    return undefined;
  };

  const drain = () => {
    while (!busy && queue.length > 0) {
      const pending = handle(queue.shift());
      if (pending) {
        busy = true;
        pending.then(() => {
          busy = false;
          drain();
        });
      }
    }
    if (!busy && queue.length === 0 && ended) exit(0);
  };

  let ended = false;
  input.setEncoding('utf8');
  input.on('data', (chunk) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== '') queue.push(line);
      nl = buffer.indexOf('\n');
    }
    if (Buffer.byteLength(buffer) > MAX_MESSAGE_BYTES) {
      buffer = '';
      process.stderr.write('dropped a request larger than the message limit\n');
    }
    drain();
  });
  input.on('end', () => {
    ended = true;
    drain();
  });
  process.on('SIGTERM', () => exit(0));
}

module.exports = { serve, METHODS };
