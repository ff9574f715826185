// Catalog queries: dedupe stages and actions — owner: dedupe package.
import type { Catalog } from "./db.js";


