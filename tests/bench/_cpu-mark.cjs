// Preloaded (`node --require`) into the process the startup bench times (tests/bench/startup.ts):
// when the process prints its address (`{"url": …}`, as `minerva serve --json` and
// _static-server.cjs do), it also prints `{"cpuMs": …}` on the next line — the CPU time (user +
// system, all threads) it used until then. CPU time moves far less than wall time on a machine
// shared with other work, so it shows a change in the start's own cost where wall time is noise.
'use strict';
const write = process.stdout.write.bind(process.stdout);
let marked = false;
process.stdout.write = function markedWrite(chunk, ...rest) {
  const result = write(chunk, ...rest);
  if (!marked && String(chunk).startsWith('{"url"')) {
    marked = true;
    const { user, system } = process.cpuUsage();
    write(`${JSON.stringify({ cpuMs: (user + system) / 1000 })}\n`);
  }
  return result;
};
