import { formatBytes } from "@archive/core";
import type { BytesRow, DuplicateSummary, JobCounts, Ledger, MonthCount, ReportFailure, RunSummaries, SampleItem, UnresolvedRow } from "@archive/core";
import type { Thumb, ThumbPair } from "./thumbs.js";
import { handoffSection, type HandoffData } from "./handoff.js";
import { ledgerSection } from "./ledger.js";

/** Everything the page shows, already aggregated. */
export interface ReportData {
  workspace: string;
  generatedAt: string;
  totals: { files: number; bytes: number; firstYear: number | null; lastYear: number | null };
  timeline: { months: MonthCount[]; undated: number };
  bytesByYear: BytesRow[];
  bytesByKind: BytesRow[];
  plan: { finishedAt: string; summary: RunSummaries["plan"] } | null;
  convert: { finishedAt: string; status: string } | null;
  jobs: JobCounts;
  skipped: { reason: string; count: number }[];
  verify: { finishedAt: string; status: string; summary: RunSummaries["verify"] } | null;
  failures: { list: ReportFailure[]; total: number };
  /** Unreadable and skipped source entries: unresolved ones keep the archive from being ready; accepted ones are named too. */
  unresolved?: { list: UnresolvedRow[]; unresolved: number; accepted: number };
  duplicates: DuplicateSummary;
  /** Items in = archived + duplicates + ... + excluded, 0 unaccounted; CSV rows naming no file (issue 10). */
  ledger?: Ledger;
  /** Copies elsewhere with their proofs, scrubbing, PAR2 protection (issue 11). */
  handoff?: HandoffData;
  sample: { item: SampleItem; thumbs: ThumbPair }[];
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Escape text for HTML content and attribute values. */
export const esc = (s: unknown): string => String(s ?? "").replace(/[&<>"']/g, (c) => ESC[c]!);

const num = (n: number) => n.toLocaleString("en-US");
const pathOf = (p: string) => `<code>${esc(p)}</code>`;

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1f;--muted:#666;--card:#f4f4f6;--line:#ddd;--photo:#3b7dd8;--video:#e0833a;--live:#3aa66b;--bad:#c62828;--ok:#2e7d32}
@media (prefers-color-scheme:dark){:root{--bg:#111214;--fg:#e8e8ea;--muted:#9a9aa2;--card:#1d1e22;--line:#33343a;--photo:#6ea2f0;--video:#f0a160;--live:#5cc98b;--bad:#ff6b6b;--ok:#6ccf74}}
*{box-sizing:border-box}
body{margin:0;padding:12px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg);max-width:1100px;margin-inline:auto}
h1{font-size:1.4em;margin:.3em 0}h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
.muted{color:var(--muted)}code{font-size:.9em;word-break:break-all}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px}
.kpi{background:var(--card);border-radius:8px;padding:8px 10px}.kpi b{display:block;font-size:1.3em}
.kpi.bad b{color:var(--bad)}.kpi.ok b{color:var(--ok)}
.stale{color:var(--bad)}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{height:10px;background:var(--photo);border-radius:2px;min-width:1px}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
svg.timeline{width:100%;height:auto;display:block}svg text{fill:var(--muted);font-size:10px}
.tl-photo{fill:var(--photo)}.tl-video{fill:var(--video)}.tl-live{fill:var(--live)}.tl-axis{stroke:var(--line)}
.scroll{overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
.card{background:var(--card);border-radius:8px;padding:8px;font-size:.85em}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:6px;align-items:start}
.pair figure{margin:0}.pair img{width:100%;height:auto;display:block;border-radius:4px;background:var(--line)}
.pair figcaption{color:var(--muted);font-size:.85em}
.noimg{aspect-ratio:1;display:flex;align-items:center;justify-content:center;text-align:center;color:var(--bad);font-size:.8em;border:1px dashed var(--line);border-radius:4px;padding:4px}
.tag{display:inline-block;border:1px solid var(--line);border-radius:4px;padding:0 4px;margin:2px 2px 0 0;font-size:.85em}
.tag.warn{border-color:var(--video)}
ul.fail{padding-left:1.1em}ul.fail li{margin:.25em 0}
`;

function kpi(label: string, value: string, cls = ""): string {
  return `<div class="kpi ${cls}"><b>${esc(value)}</b>${esc(label)}</div>`;
}

/** Months per year across every year from the first to the last, stacked photos / Live Photos / videos. */
export function timelineSvg(months: readonly MonthCount[]): string {
  if (!months.length) return `<p class="muted">No dated photos or videos.</p>`;
  const first = months[0]!.year;
  const last = months[months.length - 1]!.year;
  const span = (last - first + 1) * 12;
  const bw = 6;
  const gap = 1;
  const H = 120;
  const top = 8;
  const left = 30;
  const max = Math.max(...months.map((m) => m.photos + m.videos + m.live), 1);
  const W = left + span * (bw + gap) + 4;
  const scale = (n: number) => (n / max) * H;
  const out: string[] = [];
  out.push(`<svg class="timeline" viewBox="0 0 ${W} ${top + H + 22}" role="img" aria-label="Items per month, ${first} to ${last}" style="min-width:${Math.min(W, 900)}px">`);
  out.push(`<text x="${left - 4}" y="${top + 8}" text-anchor="end">${num(max)}</text><text x="${left - 4}" y="${top + H}" text-anchor="end">0</text>`);
  out.push(`<line class="tl-axis" x1="${left}" x2="${W}" y1="${top + H + 0.5}" y2="${top + H + 0.5}"/>`);
  for (let y = first; y <= last; y++) {
    const x = left + (y - first) * 12 * (bw + gap);
    out.push(`<line class="tl-axis" x1="${x}" x2="${x}" y1="${top}" y2="${top + H + 4}"/>`);
    if (last - first < 30 || (y - first) % 2 === 0) out.push(`<text x="${x + 2}" y="${top + H + 16}">${y}</text>`);
  }
  for (const m of months) {
    const x = left + ((m.year - first) * 12 + (m.month - 1)) * (bw + gap) + 0.5;
    const total = m.photos + m.videos + m.live;
    const label = `${m.year}-${String(m.month).padStart(2, "0")}`;
    let yTop = top + H;
    const parts: string[] = [];
    for (const [cls, n] of [["tl-photo", m.photos], ["tl-live", m.live], ["tl-video", m.videos]] as const) {
      if (!n) continue;
      const h = Math.max(scale(n), 1);
      yTop -= h;
      parts.push(`<rect class="${cls}" x="${x}" y="${yTop.toFixed(1)}" width="${bw}" height="${h.toFixed(1)}"/>`);
    }
    out.push(
      `<g class="month" data-month="${label}" data-count="${total}"><title>${label}: ${num(m.photos)} photos, ${num(m.live)} Live Photos, ${num(m.videos)} videos</title>${parts.join("")}</g>`,
    );
  }
  out.push("</svg>");
  return out.join("");
}

function barTable(rows: readonly BytesRow[], keyLabel: string, id: string): string {
  const max = Math.max(...rows.map((r) => r.bytes), 1);
  return `<table id="${id}"><thead><tr><th>${esc(keyLabel)}</th><th class="n">files</th><th class="n">bytes</th><th style="width:40%"></th></tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr><td>${esc(r.key)}</td><td class="n">${num(r.files)}</td><td class="n">${formatBytes(r.bytes)}</td><td><div class="bar" style="width:${((r.bytes / max) * 100).toFixed(1)}%"></div></td></tr>`,
    )
    .join("")}</tbody></table>`;
}

function planSection(plan: ReportData["plan"]): string {
  if (!plan) return `<p class="muted">No plan run recorded (run <code>archive plan SOURCE</code>).</p>`;
  // a run record written by an older version may lack newer fields: every field is optional here
  const s: Partial<RunSummaries["plan"]> = plan.summary;
  const k: string[] = [];
  if (s.totals) k.push(kpi("files planned", num(s.totals.files)), kpi("source size", formatBytes(s.totals.bytes)));
  if (s.needsConversion) k.push(kpi(`to convert (${s.needsConversion.photos} photos, ${s.needsConversion.videos} videos)`, num(s.needsConversion.files)));
  if (s.estimate) k.push(kpi(`estimated output, ~${s.estimate.seconds < 120 ? `${Math.round(s.estimate.seconds)} s` : `${Math.round(s.estimate.seconds / 60)} min`}`, formatBytes(s.estimate.outputBytes)));
  if (s.livePhotoPairs !== undefined) k.push(kpi("Live Photo pairs", num(s.livePhotoPairs)));
  if (s.bursts) k.push(kpi("bursts", `${num(s.bursts.groups)} (${num(s.bursts.frames)} frames)`));
  if (s.edits) k.push(kpi("edit sets", num(s.edits.sets)));
  if (s.albums) k.push(kpi("albums", num(s.albums.length)));
  if (s.unreadable) k.push(kpi("unreadable", num(s.unreadable.length), s.unreadable.length ? "bad" : "ok"));
  if (s.skipped) k.push(kpi("skipped (links, FIFOs, names)", num(s.skipped.length)));
  if (s.extensionMismatch) k.push(kpi("extension disagrees with content", num(s.extensionMismatch.files)));
  if (s.weakCaptureTime) k.push(kpi("capture time guessed", num(s.weakCaptureTime.files)));
  return `<p class="muted">Planned ${esc(plan.finishedAt)}${s.sources?.length ? ` from ${s.sources.map(pathOf).join(", ")}` : ""}</p><div class="kpis">${k.join("")}</div>`;
}

function convertSection(d: ReportData): string {
  const j = d.jobs;
  const k = [
    kpi("converted", num(j.converted), "ok"),
    kpi("copied", num(j.copied)),
    ...(j.linked ? [kpi("hard-linked", num(j.linked))] : []),
    kpi("duplicates (not copied again)", num(j.duplicates)),
    kpi("skipped", num(j.skipped)),
    kpi("failed", num(j.failed), j.failed ? "bad" : "ok"),
    kpi("with warnings", num(j.warned)),
    kpi("not archived yet", num(j.pending)),
    kpi("archive output", formatBytes(j.bytesOut)),
  ];
  const when = d.convert ? `<p class="muted">Last convert run ${esc(d.convert.finishedAt)} (${esc(d.convert.status)}).</p>` : `<p class="muted">No convert run recorded yet.</p>`;
  const skipped = d.skipped.length
    ? `<details><summary>Skipped, by reason</summary><table>${d.skipped.map((s) => `<tr><td>${esc(s.reason)}</td><td class="n">${num(s.count)}</td></tr>`).join("")}</table></details>`
    : "";
  return `${when}<div class="kpis" id="convert-results">${k.join("")}</div>${skipped}`;
}

function verifySection(v: ReportData["verify"]): string {
  if (!v) return `<p class="muted">Not verified yet (run <code>archive verify</code>).</p>`;
  const s: Partial<RunSummaries["verify"]> = v.summary;
  const rows = (s.checks ?? [])
    .map(
      (c) =>
        `<tr><td>${c.failed ? '<b style="color:var(--bad)">FAIL</b>' : c.unchecked ? '<b style="color:var(--video)">SKIP</b>' : '<span style="color:var(--ok)">ok</span>'}</td><td>${esc(c.name)}</td><td class="n">${num(c.passed)}/${num(c.checked)}</td><td class="n">${num(c.failed)}</td><td class="n">${num(c.unchecked ?? 0)}</td><td class="n">${num(c.skipped)}</td></tr>`,
    )
    .join("");
  return `<p>Verified ${esc(v.finishedAt)}: <b style="color:var(${s.ok ? "--ok" : "--bad"})">${s.ok ? "all checks passed" : (s.checks ?? []).some((c) => c.failed) ? "some checks failed" : "some files could not be checked"}</b>${s.quick ? " (quick)" : ""}${s.notConvertedYet ? `; ${num(s.notConvertedYet)} items not converted yet` : ""}.</p>${
    rows ? `<table id="verify"><thead><tr><th></th><th>check</th><th class="n">passed</th><th class="n">failed</th><th class="n">not checked</th><th class="n">n/a</th></tr></thead><tbody>${rows}</tbody></table>` : ""
  }<p class="muted">Run <code>archive verify</code> for the list of files that failed a check.</p>`;
}

function failureSection(f: ReportData["failures"]): string {
  if (!f.total) return `<p style="color:var(--ok)">No failures.</p>`;
  const more = f.total > f.list.length ? `<p class="muted">… and ${num(f.total - f.list.length)} more (see <code>archive convert --json</code>).</p>` : "";
  return `<p>${num(f.total)} file${f.total === 1 ? "" : "s"} could not be archived:</p><ul class="fail" id="failures">${f.list
    .map((x) => `<li data-path="${esc(x.path)}">${pathOf(x.path)} <span class="tag">${esc(x.stage)}</span><br><span class="muted">${esc(x.reason)}</span></li>`)
    .join("")}</ul>${more}`;
}

function unresolvedSection(u: ReportData["unresolved"]): string {
  if (!u || u.unresolved + u.accepted === 0) return `<p style="color:var(--ok)" id="unresolved-none">Nothing in the library was unreadable or skipped.</p>`;
  const head = u.unresolved
    ? `<p><b style="color:var(--bad)">${num(u.unresolved)} unresolved</b>: not archived, and the archive is not ready until each is fixed (then <code>archive plan</code> again) or accepted as lost (<code>archive verify --accept-unreadable</code>).${u.accepted ? ` ${num(u.accepted)} accepted.` : ""}</p>`
    : `<p>${u.accepted === 1 ? "One entry, accepted" : `${num(u.accepted)} entries, all accepted`} by the user (<code>--accept-unreadable</code>); not archived.</p>`;
  const items = u.list
    .map((x) => {
      const state = x.acceptedAt ? `<span class="tag">accepted ${esc(x.acceptedAt.replace(/\.\d+Z$/, "Z"))}</span>` : `<span class="tag warn">unresolved</span>`;
      return `<li data-path="${esc(x.path)}" data-state="${x.acceptedAt ? "accepted" : "unresolved"}">${pathOf(x.path)} <span class="tag">${esc(x.kind === "item" ? "unreadable file" : x.kind)}</span>${state}<br><span class="muted">${esc(x.reason)}</span></li>`;
    })
    .join("");
  const more = u.unresolved + u.accepted > u.list.length ? `<p class="muted">… and ${num(u.unresolved + u.accepted - u.list.length)} more (see <code>archive plan --json</code>).</p>` : "";
  return `${head}<ul class="fail" id="unresolved">${items}</ul>${more}`;
}

function duplicateSection(d: DuplicateSummary): string {
  if (d.source === "none") return `<p class="muted">No duplicate groups found${d.duplicateJobs ? `; ${num(d.duplicateJobs)} items were archived as duplicates of another` : ""} (run <code>archive dedupe</code> for a full check).</p>`;
  const top = d.top
    .map((g) => `<tr><td class="n">${num(g.count)}×</td><td class="n">${formatBytes(g.size)}</td><td>${g.paths.slice(0, 6).map(pathOf).join("<br>")}${g.paths.length > 6 ? `<br>… ${g.paths.length - 6} more` : ""}</td></tr>`)
    .join("");
  return `<div class="kpis">${kpi("duplicate groups", num(d.groups))}${kpi("files in them", num(d.files))}${kpi("bytes one copy each would save", formatBytes(d.bytesSaved))}${kpi("archived as duplicates", num(d.duplicateJobs))}</div>
<p class="muted">${d.source === "dedupe" ? "From archive dedupe." : "Items with equal SHA-256 (hard links counted once)."} Largest:</p><table><tbody>${top}</tbody></table>`;
}

function thumbHtml(t: Thumb, caption: string, alt: string): string {
  if ("error" in t) return `<figure><div class="noimg">no thumbnail:<br>${esc(t.error)}</div><figcaption>${esc(caption)}</figcaption></figure>`;
  return `<figure><img src="${esc(t.file)}" width="${t.width}" height="${t.height}" alt="${esc(alt)}" data-w="${t.width}" data-h="${t.height}"><figcaption>${esc(caption)}</figcaption></figure>`;
}

/**
 * The colour profile of source and output, each read from its own file (the thumbnail carries
 * it): one name when they agree, both (flagged) when they differ. Videos carry no ICC profile.
 */
export function iccTag(p: ThumbPair): string {
  const name = (t: Thumb) => ("error" in t ? "unknown" : t.icc ?? "none");
  const src = name(p.source);
  const out = name(p.output);
  if (src === out) return `<span class="tag" data-icc="${esc(src)}">ICC ${esc(src)}</span>`;
  return `<span class="tag warn" data-icc="${esc(src)} → ${esc(out)}">ICC source ${esc(src)} → archived ${esc(out)}</span>`;
}

function sampleCard(it: SampleItem, p: ThumbPair): string {
  const tags: string[] = [];
  tags.push(`<span class="tag">${esc(it.format.toUpperCase())} → ${esc(it.action === "convert" ? (it.kind === "video" ? "MP4" : "JPEG") : it.action)}</span>`);
  if (it.rotated) tags.push(`<span class="tag warn">rotated${it.orientation && it.orientation > 1 ? ` (orientation ${it.orientation})` : it.rotation ? ` ${it.rotation}°` : ""}</span>`);
  if (it.hdr) tags.push(`<span class="tag warn">HDR ${esc(it.hdr)}</span>`);
  tags.push(`<span class="tag">GPS ${it.hasGps ? "present" : "absent"}</span>`);
  if (it.kind !== "video") tags.push(iccTag(p));
  if (it.kind === "video" && it.duration !== null) tags.push(`<span class="tag">${it.duration.toFixed(1)} s</span>`);
  const when = it.captureLocal ? `${it.captureLocal.replace("T", " ")}${it.captureOffset ? ` ${it.captureOffset}` : ""}` : "capture time unknown";
  const srcCap = it.kind === "video" ? "source, first frame" : it.format === "heic" || it.format === "heif" || it.format === "avif" ? "source (our HEIF decoder)" : "source";
  return `<div class="card" data-item="${esc(it.relPath)}" data-kind="${esc(it.kind)}"${it.width && it.height ? ` data-displayed="${it.width}x${it.height}"` : ""}>
<div class="pair">${thumbHtml(p.source, srcCap, `source ${it.relPath}`)}${thumbHtml(p.output, "archived copy", `archived ${it.outputRel}`)}</div>
<div><code>${esc(it.relPath)}</code></div><div class="muted">${esc(when)}${it.model ? ` · ${esc(it.model)}` : ""}</div><div>${tags.join("")}</div></div>`;
}

/** The whole page: one HTML document, no scripts, no network. */
export function renderHtml(d: ReportData): string {
  const t = d.totals;
  const years = t.firstYear !== null ? (t.firstYear === t.lastYear ? `${t.firstYear}` : `${t.firstYear}–${t.lastYear}`) : "";
  const counts = d.timeline.months.reduce((a, m) => ({ p: a.p + m.photos, v: a.v + m.videos, l: a.l + m.live }), { p: 0, v: 0, l: 0 });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'">
<title>Archive report</title><style>${CSS}</style></head><body>
<h1>Archive report</h1>
<p class="muted">${pathOf(d.workspace)} · generated ${esc(d.generatedAt)}</p>
<div class="kpis">${kpi("files", num(t.files))}${kpi("source size", formatBytes(t.bytes))}${years ? kpi("years", years) : ""}${kpi("failed", num(d.failures.total), d.failures.total ? "bad" : "ok")}${d.unresolved ? kpi("unresolved", num(d.unresolved.unresolved), d.unresolved.unresolved ? "bad" : "ok") : ""}</div>

<h2>Timeline</h2>
<p class="legend"><span><i style="background:var(--photo)"></i>photos ${num(counts.p)}</span><span><i style="background:var(--live)"></i>Live Photos ${num(counts.l)}</span><span><i style="background:var(--video)"></i>videos ${num(counts.v)}</span>${d.timeline.undated ? `<span class="muted">undated ${num(d.timeline.undated)}</span>` : ""}</p>
<div class="scroll" id="timeline" data-months="${d.timeline.months.length}">${timelineSvg(d.timeline.months)}</div>

<h2>Where the bytes are</h2>
${barTable(d.bytesByYear, "year", "bytes-year")}
<br>${barTable(d.bytesByKind, "kind", "bytes-kind")}

<h2>Plan</h2>
${planSection(d.plan)}

<h2>Accounting</h2>
${ledgerSection(d.ledger, esc)}

<h2>Conversion</h2>
${convertSection(d)}

<h2>Verification</h2>
${verifySection(d.verify)}

<h2>Failures</h2>
${failureSection(d.failures)}

<h2>Unreadable or skipped in the library</h2>
${unresolvedSection(d.unresolved)}

<h2>Hand-off</h2>
${handoffSection(d.handoff, esc)}

<h2>Duplicates</h2>
${duplicateSection(d.duplicates)}

<h2>Spot check</h2>
<p class="muted">${d.sample.length} archived items, rotated and HDR first, then across years and cameras: the source as our decoder renders it, next to the archived copy. Colour, orientation and crop should match.</p>
<div class="grid" id="spot-check">${d.sample.map((s) => sampleCard(s.item, s.thumbs)).join("\n")}</div>
</body></html>
`;
}
