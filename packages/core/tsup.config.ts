import { defineConfig } from "tsup";
import { base } from "../../tsup.base.js";

// The worker scripts are entries of their own, loaded by URL next to dist/index.js (workerScript).
export default defineConfig({
  ...base,
  entry: { index: "src/index.ts", "hash-worker": "src/hash-worker.ts", "heif-worker": "src/media/heif-worker.ts" },
});
