// Apple's Photo Details CSV: originalCreationDate "Saturday June 4,2022 12:11 PM GMT" holds a
// comma. Apple (and immich-go's test data, adapters/folder/DATA/icloud-takeout) quote it; a
// re-saved or hand-made CSV may not. Both must give the same rows.
import { describe, expect, it } from "vitest";
import { parsePhotoDetails, PHOTO_DETAILS_HEADER, rejoinUnquotedDates } from "./csv.js";

const csv = (rows: string) => Buffer.from(`${PHOTO_DETAILS_HEADER}\n${rows}`);

describe("Photo Details dates with and without quotes", () => {
  const quoted = 'IMG_1.HEIC,AAA=,yes,no,no,"Saturday June 4,2022 12:11 PM GMT",3,"Sunday June 5,2022 1:02 AM GMT"\n';
  const unquoted = "IMG_1.HEIC,AAA=,yes,no,no,Saturday June 4,2022 12:11 PM GMT,3,Sunday June 5,2022 1:02 AM GMT\n";
  const mixed = 'IMG_1.HEIC,AAA=,yes,no,no,Saturday June 4,2022 12:11 PM GMT,3,"Sunday June 5,2022 1:02 AM GMT"\n';

  it("reads an unquoted (or half-quoted) row as the quoted one: same date, view count and import date", () => {
    const want = parsePhotoDetails(csv(quoted), "Photo Details.csv")!;
    expect(want.problems).toEqual([]);
    expect(want.rows[0]!.created?.local).toBe("2022-06-04T12:11:00");
    for (const row of [unquoted, mixed]) {
      const got = parsePhotoDetails(csv(row), "Photo Details.csv")!;
      expect(got.problems).toEqual([]);
      expect(got.rows).toEqual(want.rows);
    }
    expect(want.rows[0]).toMatchObject({ viewCount: 3, favorite: true });
    expect(want.rows[0]!.imported?.utcMs).toBe(Date.UTC(2022, 5, 5, 1, 2));
  });

  it("joins only where the result is an Apple date: other extra fields stay as they are", () => {
    expect(rejoinUnquotedDates(["a", "b", "no", "no", "no", "June 4,2022 1:00 PM GMT", "3", "x"])).toHaveLength(8);
    expect(rejoinUnquotedDates(["a", "b", "no", "no", "no", "not a date", "2022 x", "3", "y"])).toHaveLength(9);
    // a quoted creation date followed by the view count is never swallowed
    expect(rejoinUnquotedDates(["a", "b", "no", "no", "no", "Saturday June 4,2022 12:11 PM GMT", "3", "Sunday June 5", "2022 1:02 AM GMT"])).toEqual([
      "a", "b", "no", "no", "no", "Saturday June 4,2022 12:11 PM GMT", "3", "Sunday June 5,2022 1:02 AM GMT",
    ]);
    const bad = parsePhotoDetails(csv("IMG_2.JPG,B=,no,no,no,Someday Foo 4,bar,0,\n"), "Photo Details.csv")!;
    expect(bad.problems.map((p) => p.reason)).toEqual(['line 2: unreadable date "Someday Foo 4"']);
  });
});
