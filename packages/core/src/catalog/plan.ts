// Catalog queries: plan summary queries (counts, years, batches, calibration) — owner: scan package.
import type { Catalog } from "./db.js";


