import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultExiftoolArgs, ExifTool, exiftoolPath } from "exiftool-vendored";
import { dieWithParent, noteChild } from "./children.js";
import { ARCHIVE_XMP_NS } from "./source/organisation-xmp.js";

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
      const started = dieWithParent(script, ["-config", exiftoolConfig(), ...DefaultExiftoolArgs]);
      const child = spawn(started.command, started.args, { stdio: "pipe", shell: false, detached: false, env });
      noteChild(child.pid, "exiftool");
      return child;
    },
  });
}

/**
 * exiftool's definition of our own XMP namespace (today: `XMP-archive:Hidden`, the export's hidden
 * flag, which no standard schema has), so exiftool can write it into videos and read it back by
 * name. Written once per content into the OS temp folder (never the library or the workspace:
 * a read-only workspace can still be verified); `-config` must be exiftool's first argument.
 */
export const EXIFTOOL_CONFIG = `# archive: the project's own XMP namespace
%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        archive => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::archive' } },
    },
);
%Image::ExifTool::UserDefined::archive = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-archive', 2 => 'Image' },
    NAMESPACE => { 'archive' => '${ARCHIVE_XMP_NS}' },
    WRITABLE => 'string',
    Hidden => { Writable => 'boolean' },
);
1;
`;

let configPath: string | null = null;

function exiftoolConfig(): string {
  if (configPath) return configPath;
  const dir = join(tmpdir(), `archive-exiftool-${process.getuid?.() ?? "user"}`);
  const file = join(dir, "archive.config");
  let current: string | null = null;
  try {
    current = readFileSync(file, "utf8");
  } catch {
    // not written yet
  }
  if (current !== EXIFTOOL_CONFIG) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, EXIFTOOL_CONFIG, { mode: 0o600 });
    renameSync(tmp, file);
  }
  configPath = file;
  return file;
}
