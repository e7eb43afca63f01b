import { describe, expect, it } from 'vitest';
import {
  APP_ORIGIN,
  isAllowedNavigation,
  isAllowedPermission,
  isSafeExternalUrl,
  isTrustedSender,
  mainWindowOptions,
} from '../../../src-main/electron/security';

describe('main window options', () => {
  const options = mainWindowOptions('/app/preload.cjs');
  it('isolates and sandboxes the renderer', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
  });
});

describe('navigation allowlist', () => {
  it.each([`${APP_ORIGIN}/index.html`, `${APP_ORIGIN}/index.html#/jobs`, `${APP_ORIGIN}/`])('allows %s', (url) => {
    expect(isAllowedNavigation(url)).toBe(true);
  });
  it.each([
    'https://app.evil/',
    'http://127.0.0.1:7357/',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'app://evil/index.html',
    'app://user:pw@minerva/index.html',
    'data:text/html,<script>alert(1)</script>',
    'not a url',
  ])('refuses %s', (url) => {
    expect(isAllowedNavigation(url)).toBe(false);
  });
});

describe('open-external allowlist', () => {
  it.each(['https://docs.docker.com/engine/install/', 'https://github.com/minerva'])('opens %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(true);
  });
  it.each([
    'https://app.evil/',
    'https://docs.docker.com.evil.example/',
    'http://docs.docker.com/',
    'https://user@github.com/',
    'https://github.com:8443/',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'app://minerva/index.html',
    'smb://github.com/share',
    '',
  ])('refuses %s', (url) => {
    expect(isSafeExternalUrl(url)).toBe(false);
  });
});

describe('IPC sender validation', () => {
  it('accepts the main frame of our origin only', () => {
    expect(isTrustedSender({ url: `${APP_ORIGIN}/index.html`, isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: `${APP_ORIGIN}/index.html`, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: 'https://app.evil/', isMainFrame: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });
});

describe('permissions', () => {
  it('grants only clipboard writes', () => {
    expect(isAllowedPermission('clipboard-sanitized-write')).toBe(true);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen', 'usb']) expect(isAllowedPermission(p)).toBe(false);
  });
});
