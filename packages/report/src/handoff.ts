// The report's hand-off section (issue 11): every destination with its last proof, how recently
// the archive was re-read (scrubbing), PAR2 protection, and the commands anyone can run without us.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatBytes, listDestinations, protectionSets, scrubStats, sha256Buffer, type Catalog, type DestinationRecord, type ScrubStats } from "@archive/core";

/** What the hand-off section shows. */
export interface HandoffData {
  destinations: DestinationRecord[];
  scrub: ScrubStats;
  protection: { sets: number; files: number; bytes: number };
  /** SHA-256 of the workspace's manifest now (null: none yet): a proof of another manifest proves an older archive. */
  manifestSha256: string | null;
}

/** Read the hand-off facts from the catalog. */
export function gatherHandoff(cat: Catalog, root: string): HandoffData {
  const sets = protectionSets(cat);
  let manifestSha256: string | null = null;
  try {
    manifestSha256 = sha256Buffer(readFileSync(join(root, "manifest-sha256.txt")));
  } catch {
    // no manifest yet
  }
  return {
    manifestSha256,
    destinations: listDestinations(cat),
    scrub: scrubStats(cat),
    protection: { sets: sets.length, files: sets.reduce((n, s) => n + s.files, 0), bytes: sets.reduce((n, s) => n + s.bytes, 0) },
  };
}

const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : "never");

/** The section's HTML; `esc` is the page's HTML escaper. */
export function handoffSection(h: HandoffData | undefined, esc: (s: unknown) => string): string {
  if (!h) return "";
  const rows = h.destinations.map((d) => {
    const p = d.lastFullProof;
    const proof = p ? `${day(p.verifiedAt)}: ${p.files.toLocaleString("en-US")} files, ${formatBytes(p.bytes)} (${esc(p.method)}; manifest <code>${esc(p.manifestSha256.slice(0, 16))}…</code>)` : "no full proof yet";
    // the archive changed since (new outputs, organisation updated): that proof is of an older archive
    const stale = p && h.manifestSha256 && p.manifestSha256 !== h.manifestSha256
      ? ` <strong class="stale">· the archive has changed since this proof (manifest now <code>${esc(h.manifestSha256.slice(0, 16))}…</code>): copy it again and run archive verify --at ${esc(d.dest)}</strong>`
      : "";
    const last = d.lastProof && d.lastProof.samplePct !== null ? ` · sample ${d.lastProof.samplePct}% on ${day(d.lastProof.verifiedAt)}` : "";
    return `<tr><td><code>${esc(d.dest)}</code></td><td>${esc(d.kind)}</td><td>${proof}${last}${stale}</td></tr>`;
  });
  const s = h.scrub;
  const dest = h.destinations[0]?.dest ?? "REMOTE:PATH";
  return `<table id="handoff"><tr><th>destination</th><th>kind</th><th>last proof (archive verify --at)</th></tr>${rows.join("") || `<tr><td colspan="3" class="muted">no copy proven yet: archive verify --at DEST</td></tr>`}</table>
<p>Re-read (scrubbing): ${s.files.toLocaleString("en-US")} archived files, ${s.neverVerified.toLocaleString("en-US")} never re-read, oldest verification ${day(s.oldestVerifiedAt)}, re-read in the last 30 days ${s.verifiedLast30Days.toLocaleString("en-US")}, last 90 days ${s.verifiedLast90Days.toLocaleString("en-US")} (archive verify --sample PCT).</p>
<p>PAR2 protection: ${h.protection.sets ? `${h.protection.sets} sets, ${h.protection.files.toLocaleString("en-US")} files, ${formatBytes(h.protection.bytes)}` : "none yet (archive protect)"}.</p>
<p class="muted">Without this tool: <code>sha256sum -c manifest-sha256.txt</code> in the copy · <code>rclone checksum sha256 manifest-sha256.txt ${esc(dest)}</code> · <code>bagit.py --validate bag</code> · <code>par2 repair -B DEST DEST/protection/YEAR/YEAR-001.par2</code></p>`;
}
