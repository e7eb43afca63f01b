'use strict';
// Loads a CommonJS bundle with a V8 code cache beside it, so a start after the first skips
// compiling the 9 MB CLI bundle (README "Performance": startup). Node 22 has this built in
// (module.enableCompileCache); on Node 20 it is done here. `v8-compile-cache` was measured and not
// used: it stores the cache produced at compile time, which for a bundle holds only the top-level
// code, while most of the time goes into the module functions V8 compiles while the bundle runs.
// So this cache is taken when the process exits, after those functions ran.
//
// The file name carries the bundle's size and mtime, Node's version and the CPU architecture, so a
// rebuild or another Node never reads a stale cache; V8 checks it again and rejects a mismatch
// (then the bundle compiles as usual and the cache is written anew). Any failure to read or write
// the cache (read-only install, full disk) only costs the compile time it would have saved.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

function loadWithCodeCache(file) {
  const source = fs.readFileSync(file, 'utf8');
  const stat = fs.statSync(file);
  const dir = path.join(path.dirname(file), '.code-cache');
  const cacheFile = path.join(dir, `${path.basename(file)}-${stat.size}-${Math.floor(stat.mtimeMs)}-${process.version}-${process.arch}.v8`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  const moduleRequire = Module.createRequire(file);
  script.runInThisContext({ displayErrors: true }).call(mod.exports, mod.exports, moduleRequire, mod, file, path.dirname(file));
  mod.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(dir, { recursive: true });
        for (const old of fs.readdirSync(dir)) if (old.startsWith(`${path.basename(file)}-`)) fs.rmSync(path.join(dir, old), { force: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // No cache this time; the next start compiles again.
      }
    });
  }
  return mod.exports;
}

module.exports = { loadWithCodeCache };
