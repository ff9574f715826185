// The catalog: every SQL statement of the project lives in this folder.
export * from "./db.js";
export * from "./schema.js";
export * from "./summaries.js";
export * from "./runs.js";
export * from "./sources.js";
export * from "./scan.js";
export * from "./problems.js";
export * from "./groups.js";
export * from "./plan.js";
export * from "./jobs.js";
export * from "./duplicates.js";
export * from "./dedupe.js";
export * from "./hashes.js";
export * from "./verify.js";
export * from "./report.js";
export * from "./handoff.js";
export * from "./export.js";
