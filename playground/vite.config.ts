// Vite's configuration for the playground: a static page whose worker bundles tsbpf's
// browser entry point. The loader's lazy import of the kernel engine is swapped for a stub
// that says why, and every module that reaches the bundle is listed for the bundle check.
import { defineConfig, type Plugin } from "vite";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const stub = fileURLToPath(new URL("./src/kernel-engine-stub.ts", import.meta.url));

/** src/object/kernel-engine.ts loads programs through bpf(2): in a browser it becomes the stub. */
function noKernel(): Plugin {
  return {
    name: "tsbpf-no-kernel",
    enforce: "pre",
    async resolveId(id, importer, options) {
      if (!importer || !/\/src\/object\/[^/]+\.ts$/.test(importer) || !/\.\/kernel-engine\.js$/.test(id)) return null;
      return stub;
    },
  };
}

/** Writes modules.json: every module of every chunk, worker chunks included, for scripts/check-browser-bundle.mjs. */
// The worker is bundled first (while the page's modules are transformed), so the page's
// build writes the list of both.
const seen = new Set<string>();
function moduleList(emit: boolean): Plugin {
  return {
    name: "tsbpf-module-list",
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) if (chunk.type === "chunk") for (const id of Object.keys(chunk.modules)) seen.add(id);
      if (emit) this.emitFile({ type: "asset", fileName: "modules.json", source: JSON.stringify([...seen].sort(), null, 1) });
    },
  };
}

export default defineConfig({
  root,
  base: "./",
  assetsInclude: ["**/*.o", "**/*.pcap", "**/*.pcapng"],
  plugins: [noKernel(), moduleList(true)],
  // One file: an inlined worker runs from a blob: URL, where chunks it imported lazily could not be found.
  worker: { format: "es", plugins: () => [noKernel(), moduleList(false)], rollupOptions: { output: { inlineDynamicImports: true } } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 2000 },
  server: { fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] } },
});
