import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { hasTool, tempDir } from "../../../../test/support.js";
import { parseCaptureTime } from "../time.js";
import { hierarchicalSubjects, mergeOrganisationXmp, organisationKey, organisationXmp, reorganiseXmp, writeOrganisationSidecar } from "./organisation-xmp.js";

const haveExiftool = await hasTool("exiftool", ["-ver"]);
const run = promisify(execFile);

describe("the export's organisation as XMP", () => {
  const org = {
    favorite: true,
    hidden: true,
    collections: [
      { kind: "album" as const, name: "Vacation & <Beach>" },
      { kind: "memory" as const, name: "Summer 2022" },
      { kind: "shared" as const, name: "Family|Trip" },
    ],
    csvDate: parseCaptureTime("2022:06:04 12:11:00+00:00"),
  };

  it("names collections under Albums|, Memories|, Shared Albums| (a | in a name cannot split it)", () => {
    expect(hierarchicalSubjects(org)).toEqual(["Albums|Vacation & <Beach>", "Memories|Summer 2022", "Shared Albums|Family/Trip"]);
    expect(organisationXmp(org)).toContain("Vacation &amp; &lt;Beach&gt;");
  });

  it.skipIf(!haveExiftool)("a sidecar NAME.EXT.xmp that exiftool reads back", async () => {
    const dir = await tempDir("archive-xmp-");
    const sidecar = await writeOrganisationSidecar(join(dir, "IMG_0001.JPG"), org);
    expect(sidecar).toBe(join(dir, "IMG_0001.JPG.xmp"));
    const { stdout } = await run("exiftool", ["-j", "-XMP:all", sidecar]);
    const [tags] = JSON.parse(stdout) as Record<string, unknown>[];
    expect(tags).toMatchObject({
      Rating: 5,
      Subject: ["Vacation & <Beach>", "Summer 2022", "Family|Trip"],
      HierarchicalSubject: ["Albums|Vacation & <Beach>", "Memories|Summer 2022", "Shared Albums|Family/Trip"],
      DateTimeOriginal: "2022:06:04 12:11:00+00:00",
      Hidden: true,
    });
  });

  it("merges into a packet as a second rdf:Description, every other byte kept; a rating already there stays", () => {
    const src = Buffer.from(
      `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
        `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="2" xmp:CreatorTool="18.5"/>` +
        `</rdf:RDF></x:xmpmeta>      `,
    );
    const end = src.indexOf("</rdf:RDF>");
    const m = mergeOrganisationXmp(src, org);
    expect(m.packet.subarray(0, end).equals(src.subarray(0, end))).toBe(true);
    expect(m.packet.subarray(m.packet.length - (src.length - end)).equals(src.subarray(end))).toBe(true);
    const added = m.packet.subarray(end, m.packet.length - (src.length - end)).toString();
    expect(added).not.toContain("xmp:Rating");
    expect(added).toContain("<rdf:li>Albums|Vacation &amp; &lt;Beach&gt;</rdf:li>");
    expect(m.warnings).toEqual(["the source's XMP already has a rating: kept, the favorite's Rating 5 is not written"]);
    expect(mergeOrganisationXmp(null, org).packet.toString()).toBe(organisationXmp(org));
  });

  it("a later organisation replaces the added description only: the source's packet comes back byte for byte", () => {
    const source = Buffer.from(
      `<x:xmpmeta xmlns:x="adobe:ns:meta/">\n <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n  <rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:DateCreated="2022-06-04T12:11:00"/>\n </rdf:RDF>\n</x:xmpmeta>`,
    );
    const first = mergeOrganisationXmp(source, org).packet;
    expect(reorganiseXmp(first, null).packet!.equals(source)).toBe(true);
    const later = { favorite: false, hidden: false, collections: [{ kind: "album" as const, name: "Best" }] };
    const second = reorganiseXmp(first, later).packet!;
    expect(second.equals(mergeOrganisationXmp(source, later).packet)).toBe(true);
    expect(second.toString()).not.toContain("Vacation");
    // a packet this module made whole (the source had none) goes away with its organisation
    expect(reorganiseXmp(Buffer.from(organisationXmp(org)), null).packet).toBeNull();
    expect(reorganiseXmp(Buffer.from(organisationXmp(org)), later).packet!.toString()).toBe(organisationXmp(later));
  });

  it("keys equal only for the same organisation", () => {
    expect(organisationKey(null)).toBe("none");
    expect(organisationKey({ favorite: false, hidden: false, collections: [] })).toBe("none");
    const reordered = { ...org, collections: [...org.collections].reverse() };
    expect(organisationKey(reordered)).toBe(organisationKey(org));
    expect(organisationKey({ ...org, favorite: false })).not.toBe(organisationKey(org));
  });
});

