import { defineConfig, type Plugin } from 'vitest/config'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// The built page may reach only its own origin: the app, Monaco, the charts
// and the map data all ship in the bundle. The policy makes that a rule the
// browser enforces, not only a habit. Build only: the dev server injects
// inline scripts for hot reload.
const csp = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  // React and the chart libraries set style attributes.
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ')

function contentSecurityPolicy(): Plugin {
  return {
    name: 'velo-csp',
    apply: 'build',
    transformIndexHtml(html) {
      return html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`)
    },
  }
}

// The build goes to studio/webui/dist, which package webui embeds into velo.
// Only its placeholder (.gitkeep) is committed: the build empties the
// folder itself and leaves the placeholder, so git sees no change.
const outDir = fileURLToPath(new URL('../webui/dist', import.meta.url))

function emptyOutDirKeepingPlaceholder(): Plugin {
  return {
    name: 'velo-empty-outdir',
    apply: 'build',
    buildStart() {
      if (!existsSync(outDir)) return
      for (const f of readdirSync(outDir)) {
        if (f !== '.gitkeep') rmSync(join(outDir, f), { recursive: true, force: true })
      }
    },
  }
}

export default defineConfig({
  // Relative URLs: the same files serve / and any prefix a proxy adds.
  base: './',
  plugins: [react(), tailwindcss(), contentSecurityPolicy(), emptyOutDirKeepingPlaceholder()],
  build: {
    outDir,
    emptyOutDir: false,
    // Monaco alone is several MB; it is a lazy chunk and its size is in the
    // bundle report, so the warning would only repeat it.
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
  },
  server: {
    proxy: {
      // `npm run dev` against a running `velo studio --addr 127.0.0.1:8080`.
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    // The state and chart logic is plain TypeScript: Node runs it fastest.
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
})
