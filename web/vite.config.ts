// Vite builds the app into ../internal/webapp/dist/app, which the frontend embeds
// (internal/webapp). Every asset name carries a content hash, so the frontend can serve
// them as immutable; index.html is the only file served without one.
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: '../internal/webapp/dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
    // The budget that matters is the gzipped JS of the first load (make bench-webapp).
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` against a frontend started by `make run`.
    proxy: { '/.api': 'http://127.0.0.1:3080', '/.auth': 'http://127.0.0.1:3080' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/testSetup.ts'],
  },
})
