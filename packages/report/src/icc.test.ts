// QA: every spot-check card said "ICC none", also for iPhone photos whose source and output both
// carry Display P3. The names now come from each file's own profile, checked against exiftool.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodePrimary, type SampleItem } from "@archive/core";
import { hasTool, realFixtures, tempDir } from "../../../test/support.js";
import { iccTag } from "./html.js";
import { iccDescription } from "./icc.js";
import { makeThumbs } from "./thumbs.js";

const REAL = realFixtures();
const haveExiftool = await hasTool("exiftool", ["-ver"]);

/** What exiftool says the file's ICC profile is called (empty when it has none). */
const exiftoolIcc = (file: string) => execFileSync("exiftool", ["-s3", "-ICC_Profile:ProfileDescription", file], { encoding: "utf8" }).trim();

describe.skipIf(REAL === null || !haveExiftool)("ICC profile names on real files", () => {
  it("reads the name exiftool reads from an iPhone HEIC's profile (ICC v4 mluc)", async () => {
    const heic = join(REAL!, "osxphotos/IMG_1853.HEIC");
    expect(exiftoolIcc(heic)).toBe("Display P3");
    expect(iccDescription((await decodePrimary(await readFile(heic))).icc)).toBe("Display P3");
    expect(iccDescription(Buffer.from("not a profile at all, but long enough to have a header ".repeat(4)))).toBeNull();
    expect(iccDescription(null)).toBeNull();
  });

  it("the spot check names the source's and the output's profile, each from its own file", async () => {
    const root = await tempDir("report-icc-");
    const src = join(REAL!, "osxphotos/IMG_1853.HEIC");
    // an output without a profile (a JPEG that has none, as exiftool confirms): the card must say they differ
    mkdirSync(join(root, "converted"));
    copyFileSync(join(REAL!, "lychee/train.jpg"), join(root, "converted/IMG_1853.jpg"));
    expect(exiftoolIcc(join(root, "converted/IMG_1853.jpg"))).toBe("");
    const st = statSync(src);
    const it: SampleItem = {
      id: 1, relPath: "osxphotos/IMG_1853.HEIC", sourceRoot: REAL!, kind: "photo", format: "heic", captureLocal: null, captureOffset: null,
      year: 2023, model: null, hasGps: false, icc: null, hdr: null, orientation: null, rotation: null, width: null, height: null,
      duration: null, size: st.size, mtimeMs: st.mtimeMs, action: "convert", outputRel: "converted/IMG_1853.jpg", outputSize: null,
      outputSha256: null, rotated: false,
    };
    const reportDir = join(root, "report");
    const { pairs } = await makeThumbs([it], { root, reportDir });
    const pair = pairs.get(1)!;
    expect(pair.source).toMatchObject({ icc: "Display P3" });
    expect(pair.output).toMatchObject({ icc: null });
    expect(iccTag(pair)).toContain("ICC source Display P3 → archived none");
    // cached thumbnails give the same answer (the profile travels in the thumbnail)
    const again = (await makeThumbs([it], { root, reportDir })).pairs.get(1)!;
    expect(again.source).toMatchObject({ icc: "Display P3" });
    expect(iccTag({ source: again.source, output: again.source })).toMatch(/>ICC Display P3</);
  });
});
