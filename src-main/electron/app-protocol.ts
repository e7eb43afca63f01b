import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentSecurityPolicy, securityHeaders } from '@core/security/csp';
import { contentTypeFor, resolveStaticPath } from '@core/security/static-path';
import { APP_HOST, APP_SCHEME } from './security';

/** Must run before `app.ready`: app:// is standard and secure, but cannot reach the network. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the renderer build from `rendererDir`, refusing traversal and foreign hosts. */
export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? resolveStaticPath(rendererDir, url.pathname) : null;
    if (!file) return new Response('Not found', { status: 404, headers: { 'Content-Security-Policy': contentSecurityPolicy() } });
    try {
      const body = await readFile(file);
      return new Response(body, { status: 200, headers: { ...securityHeaders(), 'Content-Type': contentTypeFor(file) } });
    } catch {
      return new Response('Not found', { status: 404, headers: { 'Content-Security-Policy': contentSecurityPolicy() } });
    }
  });
}
