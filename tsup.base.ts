import type { Options } from "tsup";

/** The one build config every package spreads: ESM for Node 20, types, no bundling of dependencies. */
export const base: Options = {
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: true,
  sourcemap: true,
  // no clean: several builds may run at once (helpers, turbo), and an emptied dist/ breaks the
  // packages compiling against it; a fresh clone has no dist/ anyway
  clean: false,
  splitting: false,
};
