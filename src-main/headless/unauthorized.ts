import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { securityHeaders } from '@core/security/csp';

/**
 * The 401 answer of `minerva serve`: a page in the app's style (its palette, light and dark) for a
 * browser, saying how to get a new address; JSON (`{error:{code,message}}`) for anything else.
 * It names no path, user or token: whoever asks is not signed in.
 */
export type Unauthorized = 'no-session' | 'link-used' | 'link-unknown';

export interface UnauthorizedContext {
  reason: Unauthorized;
  /** Started with --token-file: the way in is that file's token, not a printed link. */
  tokenFile: boolean;
}

const COMMANDS = '`minerva open` (opens a signed-in tab) or `minerva serve --print-url` (prints the address)';

function why(reason: Unauthorized): string {
  if (reason === 'link-used') return 'This sign-in link was already used or has expired. Each link works once, for a few minutes.';
  if (reason === 'link-unknown') return 'This sign-in link is not one this Minerva made; it may be from an earlier run.';
  return 'Minerva is running here, but this browser is not signed in to it.';
}

export function unauthorizedMessage(ctx: UnauthorizedContext): string {
  const next = ctx.tokenFile
    ? 'Open this address with ?token= followed by the token from the token file Minerva was started with.'
    : `To get a new address, run ${COMMANDS} in a terminal on this computer, as the user who started Minerva.`;
  return `${why(ctx.reason)} ${next}`;
}

/** Light and dark from the app's palette (src-renderer/styles.css); contrast ≥ 4.5:1 in both. */
const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f8; --panel: #ffffff; --panel-2: #eef0f5; --text: #1b1e27; --muted: #5b6275; --border: #d9dde7; --accent: #5a4ae6; --focus: #ffb020;
  --shadow: 0 1px 2px rgba(20,24,40,.06), 0 4px 16px rgba(20,24,40,.05); }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1115; --panel: #171a21; --panel-2: #1f232c; --text: #e7e9ef; --muted: #9aa1b2; --border: #2a2f3b; --accent: #6354f0;
  --shadow: 0 1px 2px rgba(0,0,0,.3), 0 6px 20px rgba(0,0,0,.25); } }
* { box-sizing: border-box; }
html, body { margin: 0; min-height: 100%; }
body { background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif; display: grid; place-items: center; min-height: 100vh; padding: 24px; }
main { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; box-shadow: var(--shadow); padding: 24px 28px; max-width: 620px; width: 100%; }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 18px; margin-bottom: 16px; }
h1 { font-size: 22px; margin: 0 0 8px; }
p { margin: 8px 0; }
.muted { color: var(--muted); }
ol { padding-left: 22px; margin: 12px 0; display: grid; gap: 10px; }
code { font: 14px ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace; background: var(--panel-2); border: 1px solid var(--border); border-radius: 6px; padding: 2px 7px; white-space: nowrap; }
`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

const LOGO =
  '<svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><circle cx="16" cy="16" r="15" fill="#6354f0"/><path d="M8 22 L12 10 L16 18 L20 10 L24 22" fill="none" stroke="#ffffff" stroke-width="2.6" stroke-linejoin="round" stroke-linecap="round"/></svg>';
const FAVICON = `data:image/svg+xml,${encodeURIComponent(LOGO.replace('<svg ', '<svg xmlns="http://www.w3.org/2000/svg" '))}`;

function page(ctx: UnauthorizedContext): string {
  const steps = ctx.tokenFile
    ? `<p>Open this address with <code>?token=</code> followed by the token from the token file Minerva was started with.</p>`
    : `<p>To get a new address, run one of these in a terminal on this computer, as the user who started Minerva:</p>
<ol>
<li><code>minerva open</code> <span class="muted">— opens a signed-in tab in your browser</span></li>
<li><code>minerva serve --print-url</code> <span class="muted">— prints an address to paste here</span></li>
</ol>
<p class="muted">Started it with <code>--data-dir</code>? Add the same <code>--data-dir</code>. Each address works once, for a few minutes; after that this browser stays signed in, also across restarts of Minerva.</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Minerva</title>
<link rel="icon" href="${FAVICON}">
<style>${STYLE}</style>
</head>
<body>
<main>
<div class="brand">${LOGO}<span>Minerva</span></div>
<h1>This browser is not signed in</h1>
<p>${why(ctx.reason)}</p>
${steps}
</main>
</body>
</html>
`;
}

function wantsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/.test(req.headers.accept ?? '');
}

export function sendUnauthorized(req: IncomingMessage, res: ServerResponse, ctx: UnauthorizedContext): void {
  const common = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  if (!wantsHtml(req)) {
    res.writeHead(401, { ...securityHeaders(), ...common, 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: unauthorizedMessage(ctx) } }));
    return;
  }
  res.writeHead(401, {
    ...securityHeaders(),
    ...common,
    // The app's CSP, plus exactly this page's one inline style (by hash) and its data: favicon.
    'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`,
    'Content-Type': 'text/html; charset=utf-8',
  });
  res.end(req.method === 'HEAD' ? undefined : page(ctx));
}
