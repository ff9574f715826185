/** Container/codec family identified from magic bytes, never from the extension. */
export type Format =
  | "heic" | "heif" | "avif" | "jpeg" | "png" | "gif" | "tiff" | "dng" | "webp"
  | "mov" | "mp4" | "m4v" | "3gp"
  | "aae" | "csv" | "empty" | "unknown";

/** What a file is to a person. */
export type MediaKind = "photo" | "video" | "raw" | "sidecar" | "other";

/** Where a capture time came from, strongest first. */
/** "original": a sidecar or edit that takes the time of the original it belongs to. */
export type CaptureSource = "exif" | "quicktime" | "xmp" | "csv" | "original" | "filename" | "mtime";

export const WEAK_CAPTURE_SOURCES: readonly CaptureSource[] = ["filename", "mtime"];

/** Group types in the catalog. */
export type GroupType = "live" | "burst" | "edit" | "duplicate";

export function kindOfFormat(format: Format): MediaKind {
  switch (format) {
    case "heic": case "heif": case "avif": case "jpeg": case "png": case "gif": case "tiff": case "webp":
      return "photo";
    case "dng":
      return "raw";
    case "mov": case "mp4": case "m4v": case "3gp":
      return "video";
    case "aae":
      return "sidecar";
    default:
      return "other";
  }
}

/** Photo formats that most software cannot open and we convert to JPEG. */
export function photoNeedsConversion(format: Format): boolean {
  return format === "heic" || format === "heif" || format === "avif";
}

/** Video codecs that play everywhere inside an MP4/MOV; anything else becomes H.264. */
export function videoNeedsConversion(codec: string | null | undefined, bitDepth?: number | null): boolean {
  if (!codec) return true;
  return !(codec === "h264" || codec === "avc1") || (bitDepth ?? 8) > 8;
}
