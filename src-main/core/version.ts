declare const __MINERVA_VERSION__: string | undefined;

/** The app version, injected at build time from package.json (esbuild `define`). */
export const APP_VERSION: string = typeof __MINERVA_VERSION__ === 'string' ? __MINERVA_VERSION__ : '0.0.0-dev';
