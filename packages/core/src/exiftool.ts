import { spawn } from "node:child_process";
import { DefaultExiftoolArgs, ExifTool, exiftoolPath } from "exiftool-vendored";
import { dieWithParent, noteChild } from "./children.js";

export { ExifTool };

/**
 * Create the one ExifTool instance a command uses. The caller owns it and must `end()` it in
 * `finally` (a forgotten instance keeps Node alive). Its `-stay_open` Perl processes are started
 * to die with us (see children.ts): after a kill -9 they would otherwise poll forever.
 */
export function createExifTool(maxProcs = 2): ExifTool {
  // useMWG off: MWG composite tags would redirect copies and writes to other groups
  return new ExifTool({
    maxProcs,
    taskTimeoutMillis: 60_000,
    minDelayBetweenSpawnMillis: 0,
    useMWG: false,
    processFactory: async () => {
      const script = await exiftoolPath();
      const env: NodeJS.ProcessEnv = { LANG: "C" };
      if (process.env.EXIFTOOL_HOME) env.EXIFTOOL_HOME = process.env.EXIFTOOL_HOME;
      if (process.env.PATH) env.PATH = process.env.PATH;
      const started = dieWithParent(script, DefaultExiftoolArgs);
      const child = spawn(started.command, started.args, { stdio: "pipe", shell: false, detached: false, env });
      noteChild(child.pid, "exiftool");
      return child;
    },
  });
}
