#!/usr/bin/env node
// Thin launcher so the bin link exists before the first build; the CLI lives in dist/.
import("../dist/index.js").then((m) => m.main(process.argv.slice(2))).catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND") {
    console.error("archive: the CLI is not built yet. Run `npm run build` in the repository first.");
    process.exit(2);
  }
  console.error(err);
  process.exit(3);
});
