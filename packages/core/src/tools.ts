import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { ArchiveError } from "./errors.js";
import { execTool } from "./exec.js";
import { which } from "./which.js";

export { which };

const require = createRequire(import.meta.url);

/** Where a tool came from, for reports and benchmarks. */
export interface ToolPath {
  path: string;
  origin: "option" | "env" | "system" | "npm";
}

function fromNpm(pkg: string): string | null {
  try {
    const mod = require(pkg) as { path?: string };
    return mod.path && existsSync(mod.path) ? mod.path : null;
  } catch {
    return null;
  }
}

/**
 * Resolve ffmpeg/ffprobe: an explicit path, then $ARCHIVE_FFMPEG / $ARCHIVE_FFPROBE, then the
 * system binary on PATH, then the npm registry build (so nothing needs installing). With
 * `prefer: "npm"` the registry's static build comes before the system one (HEIC decoding: a
 * static binary starts without loading ~200 shared libraries, 0.1 s of CPU a photo less).
 */
export function resolveTool(name: "ffmpeg" | "ffprobe", explicit?: string, options: { prefer?: "system" | "npm" } = {}): ToolPath {
  if (explicit) return { path: explicit, origin: "option" };
  const env = process.env[name === "ffmpeg" ? "ARCHIVE_FFMPEG" : "ARCHIVE_FFPROBE"];
  if (env) return { path: env, origin: "env" };
  const npm = () => fromNpm(name === "ffmpeg" ? "@ffmpeg-installer/ffmpeg" : "@ffprobe-installer/ffprobe");
  const early = options.prefer === "npm" ? npm() : null;
  if (early) return { path: early, origin: "npm" };
  const sys = which(name);
  if (sys) return { path: sys, origin: "system" };
  const late = options.prefer === "npm" ? null : npm();
  if (late) return { path: late, origin: "npm" };
  throw new ArchiveError(
    "E_TOOL_MISSING",
    `${name} was not found: install ffmpeg or pass --ffmpeg/--ffprobe (or set $ARCHIVE_${name.toUpperCase()})`,
  );
}

/** ffprobe's JSON for a file (streams + format), or a thrown E_TOOL_FAILED with ffprobe's reason. */
export async function ffprobeJson(ffprobe: string, file: string, extra: readonly string[] = [], timeoutMs = 60_000): Promise<FfprobeOutput> {
  const r = await execTool(
    ffprobe,
    ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...extra, "--", file],
    { timeoutMs },
  );
  return JSON.parse(r.stdout) as FfprobeOutput;
}

export interface FfprobeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  codec_tag_string?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  duration?: string;
  nb_read_packets?: string;
  nb_read_frames?: string;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number; dv_profile?: number }[];
}

export interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string; format_name?: string; tags?: Record<string, string>; size?: string };
}

/** Rotation of a video stream in degrees (display matrix or legacy `rotate` tag), 0 when none. */
export function streamRotation(s: FfprobeStream | undefined): number {
  if (!s) return 0;
  const side = s.side_data_list?.find((d) => typeof d.rotation === "number");
  if (side?.rotation) return side.rotation;
  const tag = s.tags?.rotate;
  return tag ? -Number(tag) : 0;
}

/** HDR transfer functions that need tone mapping for SDR players. */
export function isHdrStream(s: FfprobeStream | undefined): boolean {
  if (!s) return false;
  const t = s.color_transfer ?? "";
  const dv = s.side_data_list?.some((d) => d.side_data_type?.includes("DOVI")) ?? false;
  return t === "arib-std-b67" || t === "smpte2084" || dv || /10le|12le/.test(s.pix_fmt ?? "");
}
