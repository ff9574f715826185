import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Find an executable on PATH. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** True when `command` (a path, or a name on PATH) can be executed. */
export function toolExists(command: string): boolean {
  if (!command.includes("/") && !command.includes("\\")) return which(command) !== null;
  try {
    accessSync(command, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
