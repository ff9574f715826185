#!/usr/bin/env node
// Build the small sample library at sample/library/ from public tools only: ffmpeg (test
// patterns, HEVC video), heif-enc (libheif-examples: HEIC), exiftool (EXIF/QuickTime metadata).
// Re-runnable: it deletes and rebuilds the folder; single-threaded encoders keep the bytes
// stable on one machine (other tool versions may produce different bytes, same content).
//
//   node scripts/make-sample.mjs [OUT_DIR]      (default: sample/library)
import { mkdtemp, mkdir, readFile, rm, truncate, copyFile, utimes, writeFile, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { $ } from "zx";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? join(root, "sample/library"));
const sh = $({ quiet: true });

for (const [tool, args] of [["ffmpeg", ["-version"]], ["heif-enc", ["--help"]], ["exiftool", ["-ver"]]]) {
  const r = await sh({ nothrow: true })`${tool} ${args}`;
  if (r.exitCode !== 0 && !(tool === "heif-enc" && /heif-enc/.test(r.stdout + r.stderr))) {
    console.error(`make-sample: ${tool} is needed (Debian: apt-get install ffmpeg libheif-examples libimage-exiftool-perl)`);
    process.exit(2);
  }
}

const tmp = await mkdtemp(join(tmpdir(), "archive-sample-"));
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

/**
 * An Apple MakerNote ("Apple iOS" + big-endian IFD, offsets from its start) carrying the Live
 * Photo MediaGroupUUID (tag 0x11) and/or the BurstUUID (tag 0x0b), as iPhones write them.
 */
function appleMakerNote({ mediaGroup, burst }) {
  const strings = [];
  if (burst) strings.push([0x000b, burst]);
  if (mediaGroup) strings.push([0x0011, mediaGroup]);
  const n = 1 + strings.length;
  const head = Buffer.from("Apple iOS\0\0\x01MM", "latin1");
  const ifd = Buffer.alloc(2 + n * 12 + 4);
  ifd.writeUInt16BE(n, 0);
  ifd.writeUInt16BE(0x0001, 2); // MakerNoteVersion, SLONG 14
  ifd.writeUInt16BE(9, 4);
  ifd.writeUInt32BE(1, 6);
  ifd.writeInt32BE(14, 10);
  let data = Buffer.alloc(0);
  const dataStart = head.length + ifd.length;
  strings.forEach(([tag, value], i) => {
    const e = 2 + (i + 1) * 12;
    const bytes = Buffer.from(value + "\0", "latin1");
    ifd.writeUInt16BE(tag, e);
    ifd.writeUInt16BE(2, e + 2);
    ifd.writeUInt32BE(bytes.length, e + 4);
    ifd.writeUInt32BE(dataStart + data.length, e + 8);
    data = Buffer.concat([data, bytes, Buffer.alloc(bytes.length % 2)]);
  });
  return Buffer.concat([head, ifd, data]);
}

/** A 640x480 still from an ffmpeg test pattern, with EXIF written by exiftool. */
async function jpeg(name, pattern, tags, makerNote) {
  const file = join(tmp, name);
  await sh`ffmpeg -v error -f lavfi -i ${pattern} -frames:v 1 -q:v 4 -y ${file}`;
  const args = exifArgs(tags);
  if (makerNote) {
    const mn = join(tmp, `${name}.makernote`);
    await writeFile(mn, appleMakerNote(makerNote));
    args.push(`-MakerNotes<=${mn}`);
  }
  await sh`exiftool -q -overwrite_original ${args} ${file}`;
  return file;
}

function exifArgs(t) {
  const a = ["-Make=Apple", `-Model=${t.model}`, `-Software=${t.software ?? "17.5.1"}`];
  if (t.date) a.push(`-DateTimeOriginal=${t.date}`, `-CreateDate=${t.date}`, `-OffsetTimeOriginal=${t.offset}`, `-OffsetTimeDigitized=${t.offset}`, `-SubSecTimeOriginal=${t.subsec ?? "000"}`);
  if (t.gps) {
    const [lat, lon] = t.gps;
    a.push(`-GPSLatitude=${Math.abs(lat)}`, `-GPSLatitudeRef=${lat < 0 ? "S" : "N"}`, `-GPSLongitude=${Math.abs(lon)}`, `-GPSLongitudeRef=${lon < 0 ? "W" : "E"}`);
  }
  if (t.orientation) a.push(`-Orientation#=${t.orientation}`);
  return a;
}

/** HEIC by heif-enc from a JPEG: libheif carries the JPEG's EXIF (and our MakerNote) over. */
async function heic(name, pattern, tags, makerNote) {
  const src = await jpeg(name.replace(/\.heic$/i, ".src.jpg"), pattern, tags, makerNote);
  await sh`heif-enc -q 40 -p x265:pools=1 -p x265:frame-threads=1 -o ${join(out, name)} ${src}`;
}

/** A short HEVC (libx265) or H.264 MOV with Apple QuickTime keys, as an iPhone writes them. */
async function mov(name, pattern, { codec = "libx265", seconds = 1.5, creation, contentId, gps, model }) {
  const file = join(out, name);
  const v = codec === "libx265"
    ? ["-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "pools=1:frame-threads=1:log-level=error", "-preset", "fast", "-crf", "32"]
    : ["-c:v", "libx264", "-threads", "1", "-preset", "fast", "-crf", "30"];
  // exiftool 12.x cannot write ContentIdentifier; ffmpeg writes it as an mdta key (Keys group)
  const keys = contentId ? ["-movflags", "+faststart+use_metadata_tags", "-metadata", `com.apple.quicktime.content.identifier=${contentId}`] : ["-movflags", "+faststart"];
  await sh`ffmpeg -v error -f lavfi -i ${pattern} -f lavfi -i sine=frequency=440 -t ${seconds} -r 30 ${v} -pix_fmt yuv420p -c:a aac -b:a 64k -ac 1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact ${keys} -f mov -y ${file}`;
  const a = ["-Keys:Make=Apple", `-Keys:Model=${model}`, "-Keys:Software=17.5.1", `-Keys:CreationDate=${creation}`];
  // QuickTime CreateDate is UTC by specification
  const utc = new Date(Date.parse(creation.replace(/^(\d{4}):(\d{2}):(\d{2}) /, "$1-$2-$3T")));
  const q = utc.toISOString().slice(0, 19).replace("T", " ").replace(/-/g, ":");
  a.push(`-QuickTime:CreateDate=${q}`, `-QuickTime:ModifyDate=${q}`, `-TrackCreateDate=${q}`, `-MediaCreateDate=${q}`);
  if (gps) a.push(`-Keys:GPSCoordinates=${gps[0]}, ${gps[1]}, 35`);
  await sh`exiftool -q -overwrite_original ${a} ${file}`;
}

const aae = (ts) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>adjustmentBaseVersion</key>
	<integer>0</integer>
	<key>adjustmentData</key>
	<data>
	YnBsaXN0MDDUAQIDBAUGBwpYJHZlcnNpb25ZJGFyY2hpdmVyVCR0b3BYJG9iamVjdHMS
	AAGGoF8QD05TS2V5ZWRBcmNoaXZlctEICVRyb290gAGjCwwTVSRudWxs0w0ODxAREldl
	</data>
	<key>adjustmentEditorBundleID</key>
	<string>com.apple.mobileslideshow</string>
	<key>adjustmentFormatIdentifier</key>
	<string>com.apple.photo</string>
	<key>adjustmentFormatVersion</key>
	<string>1.4</string>
	<key>adjustmentTimestamp</key>
	<date>${ts}</date>
</dict>
</plist>
`;

const PARIS = [48.85837, 2.294481];
const NYC = [40.758, -73.9855];
const TOKYO = [35.65858, 139.745433];
const LONDON = [51.50073, -0.124625];
const SF = [37.80847, -122.47717];

// 2019: Paris in summer; New York on New Year's Eve (2019 where it was taken, 2020 in UTC)
await heic("IMG_0101.HEIC", "mandelbrot=s=640x480", { model: "iPhone XS", date: "2019:07:14 10:15:00", offset: "+02:00", subsec: "120", gps: PARIS, software: "12.3.1" });
await heic("IMG_0102.HEIC", "testsrc2=s=640x480", { model: "iPhone XS", date: "2019:12:31 23:30:00", offset: "-05:00", gps: NYC, software: "13.3" });
// an edit of IMG_0101: the rendered JPEG and the Photos adjustment sidecar
await copyFile(
  await jpeg("IMG_E0101.JPG", "mandelbrot=s=640x480:start_scale=2", { model: "iPhone XS", date: "2019:07:14 10:15:00", offset: "+02:00", subsec: "120", gps: PARIS, software: "12.3.1" }),
  join(out, "IMG_E0101.JPG"),
);
await writeFile(join(out, "IMG_0101.AAE"), aae("2019-07-15T08:02:11Z"));

// 2021: Tokyo, held sideways (EXIF Orientation 6: displayed 480x640)
await heic("IMG_0201.HEIC", "smptehdbars=s=640x480", { model: "iPhone 12", date: "2021:03:05 08:00:00", offset: "+09:00", gps: TOKYO, orientation: 6, software: "14.4" });
// a Live Photo paired by id: MakerNote MediaGroupUUID == the MOV's ContentIdentifier
const live1 = "3F2504E0-4F89-11D3-9A0C-0305E82C3301";
await heic("IMG_0202.HEIC", "testsrc2=s=640x480,hue=h=200", { model: "iPhone 12", date: "2021:08:20 18:45:10", offset: "+01:00", subsec: "500", gps: LONDON, software: "14.7.1" }, { mediaGroup: live1 });
await mov("IMG_0202.MOV", "testsrc2=s=640x480,hue=h=200", { creation: "2021:08:20 18:45:09+01:00", contentId: live1, gps: LONDON, model: "iPhone 12" });
// a Live Photo whose still lost its MakerNote (re-saved by an app): paired by name and time
await heic("IMG_0203.HEIC", "cellauto=s=640x480:rule=110:seed=3", { model: "iPhone 12", date: "2021:08:20 18:46:00", offset: "+01:00", gps: LONDON, software: "14.7.1" });
await mov("IMG_0203.MOV", "cellauto=s=640x480:rule=110:seed=3", { creation: "2021:08:20 18:45:59+01:00", contentId: "9B2D7E14-2C1A-4F0E-8D55-6A7B8C9D0E1F", gps: LONDON, model: "iPhone 12" });

// 2023: a burst of two frames, a JPEG, an HEVC video, an exact duplicate, a truncated file
const burst = "C1A8E0F2-5B3D-4E6F-8A9B-0C1D2E3F4A5B";
await heic("IMG_0301.HEIC", "testsrc=s=640x480", { model: "iPhone 14", date: "2023:05:01 12:00:00", offset: "+02:00", subsec: "100", gps: PARIS, software: "16.4.1" }, { burst });
await heic("IMG_0302.HEIC", "testsrc2=s=640x480,hue=h=90", { model: "iPhone 14", date: "2023:05:01 12:00:00", offset: "+02:00", subsec: "350", gps: PARIS, software: "16.4.1" }, { burst });
await copyFile(await jpeg("IMG_0303.JPG", "rgbtestsrc=s=640x480", { model: "iPhone 14", date: "2023:06:10 09:41:00", offset: "+02:00", gps: PARIS, software: "16.5" }), join(out, "IMG_0303.JPG"));
await mov("IMG_0304.MOV", "testsrc2=s=640x360", { seconds: 2, creation: "2023:07:01 20:00:00-07:00", gps: SF, model: "iPhone 14" });
await copyFile(join(out, "IMG_0101.HEIC"), join(out, "IMG_0101 (1).HEIC"));
await copyFile(join(out, "IMG_0201.HEIC"), join(out, "IMG_0999.HEIC"));
await truncate(join(out, "IMG_0999.HEIC"), Math.floor((await stat(join(out, "IMG_0999.HEIC"))).size / 2));

// Fixed mtimes (an export's are the zip's, never the capture time): 2024-01-15 for every file.
const fixed = new Date("2024-01-15T12:00:00Z");
const names = (await readdir(out)).sort();
for (const n of names) await utimes(join(out, n), fixed, fixed);
await rm(tmp, { recursive: true, force: true });

let total = 0;
for (const n of names) total += (await stat(join(out, n))).size;
console.log(`sample library: ${names.length} files, ${(total / 1024).toFixed(0)} KiB in ${out}`);
