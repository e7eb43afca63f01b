import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, securityHeaders } from '@core/security/csp';
import { resolveStaticPath } from '@core/security/static-path';
import { isLoopbackHost } from '@core/security/loopback';

describe('content security policy', () => {
  const csp = contentSecurityPolicy();
  const directives: Record<string, string> = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0] ?? '', d.split(' ').slice(1).join(' ')]));
  it('denies by default and allows only our own origin for code', () => {
    expect(directives['default-src']).toBe("'none'");
    expect(directives['script-src']).toBe("'self'");
    expect(directives['style-src']).toBe("'self'");
    expect(directives['connect-src']).toBe("'self'");
    expect(directives['object-src']).toBe("'none'");
    expect(directives['frame-ancestors']).toBe("'none'");
    expect(directives['base-uri']).toBe("'none'");
  });
  it('never allows inline code or eval', () => {
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe-eval|\*/);
  });
  it('travels with the hardening headers', () => {
    expect(securityHeaders()).toMatchObject({ 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY' });
  });
});

describe('static path resolution', () => {
  const root = '/srv/ui';
  it.each([
    ['/', join(root, 'index.html')],
    ['/index.html', join(root, 'index.html')],
    ['/assets/app.js', join(root, 'assets/app.js')],
    ['/assets%2Fapp.js', join(root, 'assets/app.js')],
  ])('maps %s inside the root', (url, expected) => {
    expect(resolveStaticPath(root, url)).toBe(expected);
  });
  it.each(['/../etc/passwd', '/assets/../../etc/passwd', '/%2e%2e/etc/passwd', '/%2e%2e%2fetc%2fpasswd', '/..%5c..%5cwindows', '/a\\..\\b', '/index.html%00.js', '/C:/Windows/win.ini', '/%E0%A4%A', '/./index.html'])(
    'refuses %s',
    (url) => {
      expect(resolveStaticPath(root, url)).toBeNull();
    },
  );
});

describe('loopback detection', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])('%s is loopback', (h) => expect(isLoopbackHost(h)).toBe(true));
  it.each(['0.0.0.0', '192.168.1.2', '10.0.0.1', '::', 'example.com', '127.0.0.1.evil.com', ''])('%s is not', (h) => expect(isLoopbackHost(h)).toBe(false));
});
