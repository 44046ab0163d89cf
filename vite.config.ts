// Builds the web UI (src/web) into dist/web: two pages, the affiliate portal (index.html) and the
// admin console (admin.html), sharing one set of hashed assets under /assets.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const web = (path: string) => fileURLToPath(new URL(`./src/web/${path}`, import.meta.url));

export default defineConfig({
  root: web(''),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: { input: { index: web('index.html'), admin: web('admin.html') } },
  },
});
