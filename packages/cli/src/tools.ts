// ffmpeg/ffprobe options shared by convert, verify (and run through both): one wording, one hint.
import type { Options } from "./command.js";

/** --ffmpeg/--ffprobe: the same options in every command that runs the video tools. */
export const FFMPEG_OPTIONS = {
  ffmpeg: { kind: "string", value: "PATH", help: "use this ffmpeg (default: $ARCHIVE_FFMPEG, the system ffmpeg, else the npm build)" },
  ffprobe: { kind: "string", value: "PATH", help: "use this ffprobe (default: $ARCHIVE_FFPROBE, the system ffprobe, else the npm build)" },
} as const satisfies Options;

/** What to do when ffmpeg/ffprobe are missing (the same words convert's pending videos give). */
export const FFMPEG_HINT = "install ffmpeg or pass --ffmpeg/--ffprobe";
