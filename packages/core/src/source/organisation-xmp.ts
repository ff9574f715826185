// The library's organisation as XMP (issue 10): favorites as xmp:Rating 5, albums, memories and
// shared albums as keywords (dc:subject) and as Lightroom hierarchical keywords ("Albums|X"), a
// date from Apple's CSV where the file had none, hidden as our own flag (no standard says it).
// A byte-exact copy is never modified: the packet goes into a sidecar NAME.EXT.xmp beside it,
// the form digiKam, darktable and Immich read.
import { writeFile } from "node:fs/promises";
import { writeAtomically } from "../fsutil.js";
import type { CaptureTime } from "../time.js";

/** The namespace of the flags no standard XMP schema has (today: hidden). */
export const ARCHIVE_XMP_NS = "http://ns.archive.invalid/1.0/";

/** What the export says about one item. */
export interface ItemOrganisationXmp {
  favorite: boolean;
  hidden: boolean;
  collections: readonly { kind: "album" | "memory" | "shared"; name: string }[];
  /** Apple's originalCreationDate, only when the file records no date of its own. */
  csvDate?: CaptureTime | null;
}

const HIERARCHY = { album: "Albums", memory: "Memories", shared: "Shared Albums" } as const;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Lightroom's hierarchy separator is "|": a "|" inside a name would split it, so it becomes "/". */
const level = (s: string) => s.replace(/\|/g, "/");

/** The hierarchical keywords of an item ("Albums|Vacation", "Memories|...", "Shared Albums|..."). */
export function hierarchicalSubjects(o: ItemOrganisationXmp): string[] {
  return o.collections.map((c) => `${HIERARCHY[c.kind]}|${level(c.name)}`);
}

/** True when the item has anything worth a sidecar. */
export function hasOrganisation(o: ItemOrganisationXmp): boolean {
  return o.favorite || o.hidden || o.collections.length > 0 || !!o.csvDate;
}

function bag(tag: string, items: readonly string[]): string {
  if (!items.length) return "";
  return `   <${tag}>\n    <rdf:Bag>\n${items.map((i) => `     <rdf:li>${esc(i)}</rdf:li>`).join("\n")}\n    </rdf:Bag>\n   </${tag}>\n`;
}

/** An XMP date: local time with its offset ("2022-06-04T12:11:00+00:00"). */
function xmpDate(c: CaptureTime): string {
  return `${c.local}${c.offset ?? ""}`;
}

/** The rdf:Description holding the item's organisation (`skip`: properties the packet already has). */
function organisationDescription(o: ItemOrganisationXmp, skip: { rating?: boolean; subjects?: boolean } = {}): string {
  const attrs = [
    o.favorite && !skip.rating ? ` xmp:Rating="5"` : "",
    o.hidden ? ` archive:Hidden="True"` : "",
    o.csvDate ? ` exif:DateTimeOriginal="${esc(xmpDate(o.csvDate))}" photoshop:DateCreated="${esc(xmpDate(o.csvDate))}"` : "",
  ].join("");
  const names = skip.subjects ? [] : [...new Set(o.collections.map((c) => c.name))];
  return (
    `  <rdf:Description rdf:about=""\n    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n    xmlns:dc="http://purl.org/dc/elements/1.1/"\n` +
    `    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"\n    xmlns:exif="http://ns.adobe.com/exif/1.0/"\n` +
    `    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"\n    xmlns:archive="${ARCHIVE_XMP_NS}"${attrs}>\n` +
    bag("dc:subject", names) +
    bag("lr:hierarchicalSubject", skip.subjects ? [] : hierarchicalSubjects(o)) +
    `  </rdf:Description>\n`
  );
}

/** A complete XMP packet (a sidecar's whole content) for the item's organisation. */
export function organisationXmp(o: ItemOrganisationXmp): string {
  return (
    `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>\n` +
    `<x:xmpmeta xmlns:x="adobe:ns:meta/">\n <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n` +
    organisationDescription(o) +
    ` </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>\n`
  );
}

/** A property the source's packet already sets (element or attribute form, any prefix-free match). */
const hasProperty = (text: string, prefix: string, local: string) => new RegExp(`[<\\s]${prefix}:${local}[\\s>=/]`).test(text);

/**
 * The source's XMP packet with the organisation added as a second rdf:Description in its rdf:RDF
 * (every other byte of the packet stays as it was), or a new packet when the source has none.
 * A property the source already sets (a rating, keywords) is left as the source has it, with a warning.
 */
export function mergeOrganisationXmp(packet: Buffer | null, o: ItemOrganisationXmp): { packet: Buffer; warnings: string[] } {
  if (!packet) return { packet: Buffer.from(organisationXmp(o), "utf8"), warnings: [] };
  const text = packet.toString("utf8");
  const end = text.lastIndexOf("</rdf:RDF>");
  if (end < 0) return { packet, warnings: ["the source's XMP packet has no rdf:RDF: the library's organisation is not added to it"] };
  const warnings: string[] = [];
  const rating = o.favorite && hasProperty(text, "xmp", "Rating");
  const subjects = o.collections.length > 0 && (hasProperty(text, "dc", "subject") || hasProperty(text, "lr", "hierarchicalSubject"));
  if (rating) warnings.push("the source's XMP already has a rating: kept, the favorite's Rating 5 is not written");
  if (subjects) warnings.push("the source's XMP already has keywords: kept, the album names are not added");
  const desc = organisationDescription(o, { rating, subjects });
  const at = Buffer.byteLength(text.slice(0, end), "utf8");
  return { packet: Buffer.concat([packet.subarray(0, at), Buffer.from(desc, "utf8"), packet.subarray(at)]), warnings };
}

/** Write the sidecar `<file>.xmp` beside an output (atomically: temp name, then rename). */
export async function writeOrganisationSidecar(outputPath: string, o: ItemOrganisationXmp): Promise<string> {
  const sidecar = `${outputPath}.xmp`;
  await writeAtomically(sidecar, (tmp) => writeFile(tmp, organisationXmp(o), "utf8"));
  return sidecar;
}

/**
 * What an output was written with, as a short stable key (recorded in its job's params as
 * `organisation`): equal keys mean nothing to update. "none" for no organisation at all.
 */
export function organisationKey(o: ItemOrganisationXmp | null): string {
  if (!o || !hasOrganisation(o)) return "none";
  const names = [...new Set(o.collections.map((c) => `${c.kind}:${c.name}`))].sort();
  const date = o.csvDate ? xmpDate(o.csvDate) : "";
  return JSON.stringify([o.favorite ? 1 : 0, o.hidden ? 1 : 0, date, names]);
}

/** The opening of the rdf:Description this module writes (its namespace list ends with ours). */
const OUR_DESCRIPTION = `    xmlns:archive="${ARCHIVE_XMP_NS}"`;
const CLOSE_DESCRIPTION = Buffer.from("  </rdf:Description>\n", "utf8");

/**
 * The packet without the organisation this module added to it (the source's own bytes stay as
 * they were), or null when nothing is left but the empty packet `organisationXmp` made.
 */
export function stripOrganisationXmp(packet: Buffer): Buffer | null {
  let out = packet;
  for (;;) {
    const ns = out.indexOf(OUR_DESCRIPTION, 0, "utf8");
    if (ns < 0) break;
    const open = out.lastIndexOf("  <rdf:Description", ns, "utf8");
    const close = out.indexOf(CLOSE_DESCRIPTION, ns);
    if (open < 0 || close < 0) break;
    out = Buffer.concat([out.subarray(0, open), out.subarray(close + CLOSE_DESCRIPTION.length)]);
  }
  const empty = organisationXmp({ favorite: false, hidden: false, collections: [] }).replace(/  <rdf:Description[\s\S]*<\/rdf:Description>\n/, "");
  return out.toString("utf8") === empty ? null : out;
}

/**
 * An output's XMP packet with its organisation replaced by `o` (removed when `o` is null or
 * empty): what was ours is taken out, the new organisation merged in as at conversion.
 */
export function reorganiseXmp(packet: Buffer | null, o: ItemOrganisationXmp | null): { packet: Buffer | null; warnings: string[] } {
  const base = packet ? stripOrganisationXmp(packet) : null;
  if (!o || !hasOrganisation(o)) return { packet: base, warnings: [] };
  return mergeOrganisationXmp(base, o);
}
