import { rm, writeFile } from "node:fs/promises";
import type { ExifTool } from "@archive/core";
import sharp from "sharp";
import type { HeifDecoder } from "@archive/core";

export interface PhotoOutcome {
  width: number;
  height: number;
  /** Size as displayed (after any EXIF orientation kept in the JPEG). */
  displayWidth: number;
  displayHeight: number;
  icc: boolean;
  warnings: string[];
  decodeMs: number;
}

/**
 * HEIC/HEIF -> JPEG into `tmpOut`: decode the primary image on a worker (irot/imir applied),
 * encode, then carry every EXIF/XMP/IPTC/GPS/MakerNote field over with exiftool, attach the
 * primary image's own ICC profile, and set Orientation=1 only where the decoder rotated.
 */
export async function convertHeif(
  pool: HeifDecoder,
  exiftool: ExifTool,
  src: string,
  tmpOut: string,
  opts: { quality: number; sourceOrientation: number | null; make: string | null },
): Promise<PhotoOutcome> {
  const r = await pool.decode(src);
  // No ICC through sharp: with raw input it would convert the pixels from sRGB. The profile is
  // attached unchanged by exiftool below, so Display P3 pixels stay Display P3.
  await sharp(r.data, { raw: { width: r.width, height: r.height, channels: r.channels } }).jpeg({ quality: opts.quality }).toFile(tmpOut);
  const warnings: string[] = [];
  const rotatedByDecoder = (r.irot ?? 0) !== 0 || r.imir !== null;
  const args = ["-overwrite_original", "-tagsFromFile", src, "-all:all"];
  let iccPath: string | null = null;
  if (r.icc) {
    // -all:all never copies ICC_Profile; exiftool's own reading of the source would give the
    // gain map's profile on iOS 18 files, so we attach the primary image's profile from libheif.
    iccPath = `${tmpOut}.icc`;
    await writeFile(iccPath, r.icc);
    args.push(`-ICC_Profile<=${iccPath}`);
  }
  let displayWidth = r.width;
  let displayHeight = r.height;
  if (rotatedByDecoder) {
    args.push("-Orientation#=1");
    const exif = opts.sourceOrientation ?? 1;
    const agrees = (r.irot === 270 && exif === 6) || (r.irot === 90 && exif === 8) || (r.irot === 180 && exif === 3) || (r.irot ?? 0) === 0;
    if (!agrees) {
      warnings.push(
        `rotation conflict: the HEIF irot says ${r.irot} degrees, EXIF Orientation says ${exif}; followed irot (the HEIF rule)`,
      );
    }
  } else if ((opts.sourceOrientation ?? 1) >= 5) {
    // rotation only in EXIF (e.g. Samsung): pixels are stored unrotated, the copied tag stays
    displayWidth = r.height;
    displayHeight = r.width;
  }
  args.push(`-ExifImageWidth#=${r.width}`, `-ExifImageHeight#=${r.height}`);
  try {
    // every assignment goes in writeArgs after -tagsFromFile: exiftool-vendored puts `tags` first,
    // and a later copy would win over them
    await exiftool.write(tmpOut, {}, { writeArgs: args } as never);
  } finally {
    if (iccPath) await rm(iccPath, { force: true });
  }
  if (r.topLevelImages > 1) warnings.push(`${r.topLevelImages} images in the file; the primary one was converted`);
  return { width: r.width, height: r.height, displayWidth, displayHeight, icc: r.icc !== null, warnings, decodeMs: r.decodeMs };
}
