// The chat web app's build: everything bundled locally (no CDN, no remote fonts), so the
// page works offline; the edge serves dist/ at `/`. `npm run dev` proxies the API and
// sockets to an edge on 127.0.0.1:8000.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, assetsInlineLimit: 0 },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true },
      '/messagepal': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
});
