// Keep every output's organisation current (issue 10, item 7): when a later export changes a
// photo's favorite, hidden flag or albums, the archived output is updated in place of a new
// conversion. A converted JPEG gets its XMP packet replaced (the source's own packet bytes stay;
// only the rdf:Description this project added changes), an MP4 its XMP tags (exiftool), a byte-
// exact copy its sidecar NAME.EXT.xmp. Each rewrite checks the output against the journal first
// (a damaged output is a fixity failure and is not touched), is written under a temporary name
// and renamed, and is journalled with its new SHA-256, so the manifest follows.
import { copyFile, readFile, stat, utimes, writeFile } from "node:fs/promises";
import {
  hasExportItems,
  hasOrganisation,
  insideWorkspace,
  jpegWithXmp,
  organisationKey,
  organisationPendingJobs,
  organisationXmp,
  organisedJobsPage,
  outputOrganisation,
  readJpegMetadata,
  reasonOf,
  recordOrganisationPending,
  recordOrganisedOutput,
  reorganiseXmp,
  sha256Buffer,
  writeAtomically,
  type ItemOrganisationXmp,
  type OrganisationPending,
  type OrganisedJob,
} from "@archive/core";
import type { RunContext } from "./context.js";
import { videoXmpTags } from "./video.js";


type Params = Record<string, unknown> & { organisation?: string; organisationPending?: OrganisationPending; sidecar?: string; sidecarSha256?: string };

const paramsOf = (job: OrganisedJob): Params => (job.params ? (JSON.parse(job.params) as Params) : {});

/** What an output was written with: its recorded key, or for outputs from before keys were kept, a guess that forces no needless rewrite. */
function writtenKey(p: Params): string {
  if (typeof p.organisation === "string") return p.organisation;
  return p.organisationXmp || p.sidecar ? "unknown" : "none";
}

function describe(o: ItemOrganisationXmp | null): string {
  if (!o) return "nothing";
  const n = (kind: string, one: string, many: string) => {
    const c = o.collections.filter((x) => x.kind === kind).length;
    return c ? `${c} ${c > 1 ? many : one}` : "";
  };
  const parts = [o.favorite ? "favorite" : "", o.hidden ? "hidden" : "", n("album", "album", "albums"), n("memory", "memory", "memories"), n("shared", "shared album", "shared albums")];
  return parts.filter(Boolean).join(", ") || (o.csvDate ? "the export's date" : "nothing");
}

type Kind = "jpeg" | "video" | "sidecar" | null;

function kindOf(job: OrganisedJob): Kind {
  if (job.action !== "convert") return "sidecar";
  if (/\.jpe?g$/i.test(job.outputRel)) return "jpeg";
  if (/\.(mp4|m4v|mov)$/i.test(job.outputRel)) return "video";
  return null;
}

/** The file a rewrite replaces, and the hash the journal holds for it. */
function target(job: OrganisedJob, p: Params, kind: Kind): { rel: string; sha256: string | null } {
  if (kind !== "sidecar") return { rel: job.outputRel, sha256: job.outputSha256 };
  return { rel: p.sidecar ?? `${job.outputRel}.xmp`, sha256: p.sidecar ? (p.sidecarSha256 ?? null) : null };
}

/**
 * Bring every finished output's organisation up to date (the whole archive, whatever the
 * selection: it is metadata of what is already archived). Paged through the journal.
 */
export async function updateOrganisation(ctx: RunContext): Promise<void> {
  if (!hasExportItems(ctx.catalog)) return; // plain folders: no organisation to keep current
  let after = 0;
  for (;;) {
    const page = organisedJobsPage(ctx.catalog, after);
    if (!page.length) return;
    for (const job of page) {
      after = job.itemId;
      if (ctx.signal?.aborted) return;
      await updateOne(ctx, job);
    }
  }
}

async function updateOne(ctx: RunContext, job: OrganisedJob): Promise<void> {
  const desired = outputOrganisation(ctx.catalog, job.itemId);
  if (!desired) return; // no present export item holds its content: it keeps what it has
  const org = hasOrganisation(desired) ? desired : null;
  const key = organisationKey(org);
  const p = paramsOf(job);
  if (writtenKey(p) === key) return;
  const kind = kindOf(job);
  if (!kind) return;
  const t = target(job, p, kind);
  const r = ctx.result;
  if (kind === "sidecar" && !org && !p.sidecar) return record(ctx, job, p, key); // no sidecar then, none needed now
  if (ctx.dry) {
    r.organised.push({ path: t.rel, now: describe(org) });
    return;
  }
  try {
    const written = await rewrite(ctx, job, kind, t, org, key);
    if (written === "fixity") return;
    const next: Params = { ...p, organisation: key };
    delete next.organisationPending;
    if (kind === "sidecar") Object.assign(next, { sidecar: t.rel, sidecarSha256: written.sha256 });
    if (!recordOrganisedOutput(ctx.catalog, job.itemId, job.outputSha256, {
      sha256: kind === "sidecar" ? job.outputSha256! : written.sha256,
      size: kind === "sidecar" ? job.outputSize! : written.size,
      params: next,
    })) throw new Error("the journal changed while its organisation was being written");
    r.organised.push({ path: t.rel, now: describe(org) });
  } catch (err) {
    r.failed.push({ path: t.rel, reason: `updating its organisation (favorite, hidden, albums): ${reasonOf(err)}` });
  }
}

/** Only the key changes (nothing written before, nothing to write now). */
function record(ctx: RunContext, job: OrganisedJob, p: Params, key: string): void {
  if (ctx.dry) return;
  recordOrganisedOutput(ctx.catalog, job.itemId, job.outputSha256, { sha256: job.outputSha256!, size: job.outputSize!, params: { ...p, organisation: key } });
}

/** The current bytes of the file to rewrite, checked against the journal; null when it does not exist yet (a sidecar). */
async function currentBytes(ctx: RunContext, rel: string, expected: string | null): Promise<Buffer | null | "fixity"> {
  const abs = insideWorkspace(ctx.root, rel);
  const bytes = await readFile(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" && expected === null) return null;
    throw err;
  });
  // a new sidecar's name taken by a file the journal does not record as one: never overwritten
  if (bytes && expected === null) throw new Error(`${rel} exists and is not this output's sidecar; not overwritten`);
  if (bytes && expected && sha256Buffer(bytes) !== expected.toLowerCase()) {
    ctx.result.fixity.push({
      path: rel,
      reason: `changed since convert wrote it: SHA-256 ${sha256Buffer(bytes)}, the journal recorded ${expected}; its organisation is not updated; run \`archive convert --redo ${rel}\``,
    });
    return "fixity";
  }
  return bytes;
}

/** Write the new bytes of one file (temp name, rename), noting them in the journal before the rename. */
async function rewrite(
  ctx: RunContext,
  job: OrganisedJob,
  kind: Exclude<Kind, null>,
  t: { rel: string; sha256: string | null },
  org: ItemOrganisationXmp | null,
  key: string,
): Promise<{ sha256: string; size: number } | "fixity"> {
  const abs = insideWorkspace(ctx.root, t.rel);
  const bytes = await currentBytes(ctx, t.rel, t.sha256);
  if (bytes === "fixity") return "fixity";
  const times = bytes ? await stat(abs) : null;
  let out = { sha256: "", size: 0 };
  await writeAtomically(abs, async (tmp) => {
    if (kind === "jpeg") {
      const { packet, warnings } = reorganiseXmp(readJpegMetadata(bytes!).xmp, org);
      for (const message of warnings) ctx.result.warnings.push({ path: t.rel, message });
      await writeFile(tmp, jpegWithXmp(bytes!, packet));
    } else if (kind === "video") {
      await copyFile(abs, tmp);
      await ctx.exiftool.write(tmp, videoXmpTags(org, true) as never, { writeArgs: ["-overwrite_original"] } as never);
    } else {
      await writeFile(tmp, organisationXmp(org ?? { favorite: false, hidden: false, collections: [] }), "utf8");
    }
    if (times) await utimes(tmp, times.atime, times.mtime);
    const written = await readFile(tmp);
    out = { sha256: sha256Buffer(written), size: written.length };
    recordOrganisationPending(ctx.catalog, job.itemId, { file: kind === "sidecar" ? "sidecar" : "output", sha256: out.sha256, size: out.size, key });
  });
  const st = await stat(abs);
  ctx.cache.store(t.rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }, out.sha256);
  return out;
}

/**
 * A run stopped between an organisation rewrite's rename and its journal entry: the file holds
 * the bytes noted as pending (record them), or still the old ones (forget the note). Anything
 * else is left for the fixity check to report. Runs before any output is checked.
 */
export async function finishPendingOrganisation(ctx: RunContext): Promise<void> {
  for (const job of organisationPendingJobs(ctx.catalog)) {
    const p = paramsOf(job);
    const pending = p.organisationPending!;
    const rel = pending.file === "sidecar" ? (p.sidecar ?? `${job.outputRel}.xmp`) : job.outputRel;
    const bytes = await readFile(insideWorkspace(ctx.root, rel)).catch(() => null);
    const now = bytes ? sha256Buffer(bytes) : null;
    if (now !== pending.sha256) {
      recordOrganisationPending(ctx.catalog, job.itemId, null);
      continue;
    }
    const next: Params = { ...p, organisation: pending.key };
    delete next.organisationPending;
    if (pending.file === "sidecar") Object.assign(next, { sidecar: rel, sidecarSha256: now });
    const output = pending.file === "sidecar" ? { sha256: job.outputSha256!, size: job.outputSize! } : { sha256: now, size: pending.size };
    recordOrganisedOutput(ctx.catalog, job.itemId, job.outputSha256, { ...output, params: next });
  }
}
