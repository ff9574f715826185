import { defineConfig } from "tsup";
import { base } from "../../tsup.base.js";

// The HEIF worker is its own entry: worker threads load it by file path.
export default defineConfig({ ...base, entry: ["src/index.ts", "src/heif-worker.ts"] });
