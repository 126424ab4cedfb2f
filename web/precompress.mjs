// Gzip and brotli copies of every compressible file of the web bundle, made once at build
// time at the highest levels (the server sends them with the matching Content-Encoding
// instead of compressing on every request). Usage: node web/precompress.mjs <dir>
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const files = (dir) => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});
let raw = 0; let gz = 0; let br = 0;
for (const f of files(process.argv[2])) {
  // Only the code: not the HTML page (the server reads it to name its inline script in the
  // CSP) and not the service worker, which must always be read fresh for updates to show.
  if (!/\.(wasm|js)$/.test(f) || f.endsWith('sw.js')) continue;
  const bytes = readFileSync(f);
  const g = gzipSync(bytes, { level: 9 });
  const b = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  writeFileSync(`${f}.gz`, g);
  writeFileSync(`${f}.br`, b);
  raw += bytes.length; gz += g.length; br += b.length;
}
console.log(`compressible files: ${raw} bytes raw, ${gz} gzip, ${br} brotli`);
