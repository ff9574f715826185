// Catalog queries: the job journal (convert) — owner: convert package.
import type { Catalog } from "./db.js";


