import { ExifTool } from "exiftool-vendored";

export { ExifTool };

/**
 * Create the one ExifTool instance a command uses. The caller owns it and must `end()` it in
 * `finally` (a forgotten instance keeps Node alive).
 */
export function createExifTool(maxProcs = 2): ExifTool {
  // useMWG off: MWG composite tags would redirect copies and writes to other groups
  return new ExifTool({ maxProcs, taskTimeoutMillis: 60_000, minDelayBetweenSpawnMillis: 0, useMWG: false });
}
