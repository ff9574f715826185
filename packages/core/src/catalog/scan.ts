// Catalog queries: scan (items, groups, albums, known content, Apple export CSV rows) — owner: scan package.
import type { Catalog } from "./db.js";


