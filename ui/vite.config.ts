import { defineConfig } from "vitest/config";

// Built straight into the Python package, where `sluice.ui.static_dir()` finds it at run time.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "../src/sluice/ui/static",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/apis": process.env.SLUICE_HOST ?? "http://127.0.0.1:8888" },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
