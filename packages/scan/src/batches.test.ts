import { describe, expect, it } from "vitest";
import type { DayRow } from "@archive/core";
import { lastDayOf, makeBatches } from "./batches.js";

const day = (year: number | null, month: number | null, d: number | null, files: number, out: number): DayRow => ({
  year, month, day: d, files, bytes: out, photos: files, videos: 0, out,
});

/** A real calendar date? (2018-02-31 is not) */
const real = (s: string) => {
  const [y, m, d] = s.split("-").map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
};

describe("makeBatches", () => {
  const rows = [
    day(2018, 1, 5, 2, 600),
    day(2018, 2, 10, 1, 300),
    day(2018, 2, 28, 1, 300),
    day(2018, 3, 1, 3, 3000), // one day with three files, larger than the limit
    day(2018, 4, 2, 1, 5000), // one file larger than the limit
    day(2019, 6, 1, 1, 100),
    day(null, null, null, 2, 50),
  ];

  it("without a limit (or when a year fits): one batch a year, selected with --year", () => {
    const b = makeBatches(rows, null);
    expect(b.map((x) => [x.name, x.files, x.convertArgs.join(" ")])).toEqual([
      ["2018", 8, "--year 2018"],
      ["2019", 1, "--year 2019"],
      ["undated", 2, ""],
    ]);
  });

  it("honours the limit down to single days, and says why a batch is still larger", () => {
    const limit = 1024;
    const b = makeBatches(rows, limit);
    expect(b.reduce((n, x) => n + x.files, 0)).toBe(8 + 1 + 2);
    const y2018 = b.filter((x) => x.year === 2018);
    expect(y2018.map((x) => [x.name, x.from, x.to, x.outputBytes])).toEqual([
      ["2018-01..01", "2018-01-01", "2018-01-31", 600],
      ["2018-02..02", "2018-02-01", "2018-02-28", 600],
      ["2018-03-01", "2018-03-01", "2018-03-01", 3000],
      ["2018-04-02", "2018-04-02", "2018-04-02", 5000],
    ]);
    // every batch fits, or says why it cannot
    for (const x of b) if (x.outputBytes > limit) expect(x.note, x.name).toMatch(/one file larger|whole days/);
    expect(y2018[2]!.note).toMatch(/3 files captured on one day/);
    expect(y2018[3]!.note).toMatch(/one file larger than the batch size/);
    expect(y2018[0]!.note).toBeUndefined();
  });

  it("suggests only real dates (no --to 2018-02-31)", () => {
    const b = makeBatches(rows, 700);
    for (const x of b) for (const d of [x.from, x.to]) if (d) expect(real(d), `${x.name}: ${d}`).toBe(true);
    const feb = b.find((x) => x.to?.startsWith("2018-02"));
    expect(feb?.to).toBe("2018-02-28");
    expect(feb?.convertArgs).toEqual(["--from", feb!.from, "--to", "2018-02-28"]);
    expect(lastDayOf(2020, 2)).toBe(29);
    expect(lastDayOf(2019, 2)).toBe(28);
    expect(lastDayOf(2019, 12)).toBe(31);
  });

  it("runs of days within a month carry both ends in the name", () => {
    const b = makeBatches([day(2020, 5, 1, 1, 400), day(2020, 5, 2, 1, 400), day(2020, 5, 3, 1, 400)], 900);
    expect(b.map((x) => [x.name, x.from, x.to])).toEqual([
      ["2020-05-01..02", "2020-05-01", "2020-05-02"],
      ["2020-05-03", "2020-05-03", "2020-05-03"],
    ]);
  });
});
