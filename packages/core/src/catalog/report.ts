// Catalog queries: report queries — owner: report package.
import type { Catalog } from "./db.js";


