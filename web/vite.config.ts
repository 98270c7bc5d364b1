// Vite build for the Kasus web application. kasusd serves dist/index.html
// at / and dist/assets/* at /assets/ under a strict CSP: no inline script
// or style, so everything is emitted as files with hashed names.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // The polyfill would be bundled (not inline) but no supported browser
    // needs it; leaving it out keeps the entry small.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into CSS/JS (fonts, icons): keep
    // them as files so the CSP stays simple.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:18099' },
  },
});
