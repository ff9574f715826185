// Catalog queries: THE one answer to 'is this item a current duplicate / already archived / current content' — owner: convert package; used by scan, convert, dedupe, verify.
import type { Catalog } from "./db.js";


