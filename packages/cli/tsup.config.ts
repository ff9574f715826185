import { defineConfig } from "tsup";
import { base } from "../../tsup.base.js";

// splitting: each command becomes its own chunk, so `import("./commands/x.js")` really loads a
// command's dependencies (sharp, ffmpeg helpers, workers) only when that command runs.
export default defineConfig({ ...base, entry: ["src/index.ts"], splitting: true });
