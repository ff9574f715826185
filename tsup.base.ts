import type { Options } from "tsup";

/** The one build config every package spreads: ESM for Node 20, types, no bundling of dependencies. */
export const base: Options = {
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
};
