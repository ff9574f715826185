// Catalog queries: verify queries (completeness, metadata parity) — owner: verify package.
import type { Catalog } from "./db.js";


