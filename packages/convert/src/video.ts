import type { ExifTool, FfprobeOutput, FfprobeStream, ItemOrganisationXmp } from "@archive/core";
import { execTool, ffprobeJson, hierarchicalSubjects, isHdrStream, streamRotation } from "@archive/core";

export interface VideoTools {
  ffmpeg: string;
  ffprobe: string;
  /** Filters this ffmpeg build has (probed once): zscale/tonemap decide the HDR path. */
  filters: Set<string>;
}

/** Probe an ffmpeg build's filter list once per run. */
export async function probeFilters(ffmpeg: string): Promise<Set<string>> {
  const r = await execTool(ffmpeg, ["-hide_banner", "-filters"], { timeoutMs: 20_000 });
  const names = new Set<string>();
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*[TSC.]{2,3}\s+(\S+)\s/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

export interface VideoOutcome {
  width: number;
  height: number;
  duration: number;
  sourceDuration: number;
  hdr: boolean;
  warnings: string[];
  encodeSeconds: number;
}

const PRIMARIES_OK = new Set(["bt709", "unknown", "unspecified", ""]);

/**
 * The ffmpeg filter chain: HDR (HLG/PQ/Dolby Vision, 10-bit) is tone-mapped to SDR BT.709;
 * wide-gamut SDR (Display P3) is converted to BT.709; always 8-bit yuv420p in the end.
 */
export function videoFilter(v: FfprobeStream, filters: Set<string>): { vf: string; warnings: string[] } {
  const warnings: string[] = [];
  const zscale = filters.has("zscale");
  const range = v.pix_fmt?.startsWith("yuvj") || (v as { color_range?: string }).color_range === "pc" ? "full" : "limited";
  if (isHdrStream(v)) {
    const tin = v.color_transfer === "smpte2084" ? "smpte2084" : "arib-std-b67";
    if (zscale && filters.has("tonemap")) {
      return {
        vf:
          `zscale=tin=${tin}:min=bt2020nc:pin=bt2020:rin=${range === "full" ? "full" : "tv"}:t=linear:npl=100,format=gbrpf32le,` +
          `zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p`,
        warnings,
      };
    }
    if (tin === "arib-std-b67" && filters.has("colorspace")) {
      warnings.push("this ffmpeg has no zscale: HLG converted with the colorspace filter (approximate tone mapping)");
      return { vf: "colorspace=all=bt709:iall=bt2020:itrc=bt2020-10:format=yuv420p", warnings };
    }
    warnings.push("this ffmpeg cannot tone-map PQ: colours will look washed out; use an ffmpeg with zscale");
    return { vf: "format=yuv420p", warnings };
  }
  const prim = v.color_primaries ?? "";
  if (zscale && !PRIMARIES_OK.has(prim)) {
    const tin = v.color_transfer && v.color_transfer !== "unknown" ? v.color_transfer : "bt709";
    const min = v.color_space && v.color_space !== "unknown" ? v.color_space : "bt709";
    return {
      vf: `zscale=pin=${prim}:tin=${tin}:min=${min}:rin=${range === "full" ? "full" : "tv"}:p=bt709:t=bt709:m=bt709:r=tv,format=yuv420p`,
      warnings,
    };
  }
  return { vf: "format=yuv420p", warnings };
}

/** ffmpeg arguments for one conversion (exported for the benchmark's "plain ffmpeg" twin). */
export function ffmpegArgs(src: string, dst: string, vf: string, audioCodec: string | undefined): string[] {
  return [
    "-hide_banner", "-nostdin", "-y", "-v", "error",
    "-i", src,
    // Apple's mebx metadata tracks break `-map 0`: take the first video and audio explicitly
    "-map", "0:v:0", "-map", "0:a:0?",
    "-map_metadata", "0",
    "-vf", vf,
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
    "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
    ...(audioCodec === "aac" ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", "160k"]),
    "-movflags", "+faststart",
    "-f", "mp4",
    dst,
  ];
}

const num = (s: string | undefined) => (s === undefined ? NaN : Number(s));

/** Duration of a probe: the video stream's, else the container's. */
export function probeDuration(p: FfprobeOutput): number {
  const v = p.streams?.find((s) => s.codec_type === "video");
  const d = num(v?.duration);
  return Number.isFinite(d) ? d : num(p.format?.duration);
}

/**
 * The export's organisation as XMP tags for exiftool: Rating 5 for a favorite, album names as
 * keywords and Lightroom hierarchical keywords, the CSV date, and hidden as `XMP-archive:Hidden`
 * (our namespace, defined by core's exiftool config). With `clear`, what the organisation does
 * not have is deleted (an output whose organisation changed: every XMP tag of these is ours).
 */
export function videoXmpTags(o: ItemOrganisationXmp | null, clear = false): Record<string, unknown> {
  const tags: Record<string, unknown> = {};
  const set = (tag: string, value: unknown, on: boolean) => {
    if (on) tags[tag] = value;
    else if (clear) tags[tag] = null;
  };
  set("XMP-xmp:Rating", 5, !!o?.favorite);
  set("XMP-archive:Hidden", "True", !!o?.hidden);
  const names = [...new Set((o?.collections ?? []).map((c) => c.name))];
  set("XMP-dc:Subject", names, names.length > 0);
  set("XMP-lr:HierarchicalSubject", o ? hierarchicalSubjects(o) : [], names.length > 0);
  set("XMP-photoshop:DateCreated", o?.csvDate ? `${o.csvDate.local}${o.csvDate.offset ?? ""}` : null, !!o?.csvDate);
  return tags;
}

/**
 * Any video -> H.264 yuv420p MP4 with AAC audio in `tmpOut`: rotation applied once (ffmpeg's
 * autorotate), HDR tone-mapped, then the Apple QuickTime keys (creation date with offset,
 * ISO6709 location, make/model, Live Photo content identifier) and CreateDate written back
 * with exiftool, since ffmpeg drops them.
 */
export async function convertVideo(
  tools: VideoTools,
  exiftool: ExifTool,
  src: string,
  tmpOut: string,
  signal?: AbortSignal,
  organisation?: ItemOrganisationXmp | null,
): Promise<VideoOutcome> {
  const started = Date.now();
  const probe = await ffprobeJson(tools.ffprobe, src);
  const v = probe.streams?.find((s) => s.codec_type === "video");
  if (!v) throw new Error("no video stream");
  const a = probe.streams?.find((s) => s.codec_type === "audio");
  const { vf, warnings } = videoFilter(v, tools.filters);
  const sourceDuration = probeDuration(probe);
  const timeoutMs = Math.max(120_000, (Number.isFinite(sourceDuration) ? sourceDuration : 60) * 20_000);
  try {
    await execTool(tools.ffmpeg, ffmpegArgs(src, tmpOut, vf, a?.codec_name), { timeoutMs, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (!vf.startsWith("zscale=pin")) throw err;
    // a colour conversion this build's zscale refuses: keep the pixels, say so
    warnings.push("wide-gamut colour conversion failed in this ffmpeg; colours kept as encoded");
    await execTool(tools.ffmpeg, ffmpegArgs(src, tmpOut, "format=yuv420p", a?.codec_name), { timeoutMs, ...(signal ? { signal } : {}) });
  }
  await exiftool.write(tmpOut, videoXmpTags(organisation ?? null) as never, {
    writeArgs: ["-overwrite_original", "-tagsFromFile", src, "-Keys:All", "-QuickTime:CreateDate", "-QuickTime:ModifyDate", "-UserData:All"],
  } as never);
  const out = await ffprobeJson(tools.ffprobe, tmpOut);
  const ov = out.streams?.find((s) => s.codec_type === "video");
  if (!ov || ov.codec_name !== "h264" || ov.pix_fmt !== "yuv420p") {
    throw new Error(`the output is not H.264 yuv420p (${ov?.codec_name}/${ov?.pix_fmt})`);
  }
  const duration = probeDuration(out);
  const rot = ((streamRotation(ov) % 360) + 360) % 360;
  const [w, h] = rot === 90 || rot === 270 ? [ov.height ?? 0, ov.width ?? 0] : [ov.width ?? 0, ov.height ?? 0];
  if (Number.isFinite(sourceDuration) && Math.abs(duration - sourceDuration) > Math.max(0.1, sourceDuration * 0.02)) {
    warnings.push(`duration ${duration.toFixed(3)} s differs from the source's ${sourceDuration.toFixed(3)} s`);
  }
  return {
    width: w,
    height: h,
    duration,
    sourceDuration,
    hdr: isHdrStream(v),
    warnings,
    encodeSeconds: (Date.now() - started) / 1000,
  };
}
