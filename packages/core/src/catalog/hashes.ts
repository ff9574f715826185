// Catalog queries: file_hashes (the hash cache) and manifest queries — owner: verify package.
import type { Catalog } from "./db.js";


