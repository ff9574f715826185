// `archive manifest --also md5,sha1` (issue 11): the extra manifests for MD5/SHA-1-only clouds,
// called from manifest.ts after the SHA-256 manifest is written and clean.
import kleur from "kleur";
import { ArchiveError } from "@archive/core";
import { writeExtraManifests, type ExtraDigest, type ExtraManifestsResult } from "@archive/verify";
import type { Options } from "../command.js";
import type { Context } from "../context.js";

/** manifest's option for the extra manifests. */
export const ALSO_OPTIONS = {
  also: { kind: "string", value: "md5,sha1", help: "also write manifest-md5.txt / manifest-sha1.txt (for clouds that store only MD5 or SHA-1: verify --at without download)" },
} as const satisfies Options;

function parseAlso(raw: string): ExtraDigest[] {
  const algos = [...new Set(raw.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean))];
  const bad = algos.filter((a) => a !== "md5" && a !== "sha1");
  if (!algos.length || bad.length) throw new ArchiveError("E_USAGE", `--also: expected md5, sha1 or md5,sha1, got "${raw}"`);
  return algos as ExtraDigest[];
}

/** Write the extra manifests unless the SHA-256 manifest had problems (then they would prove the wrong set). */
export async function manifestAlso(ctx: Context, root: string, raw: string | undefined, bad: boolean): Promise<ExtraManifestsResult | null> {
  if (raw === undefined) return null;
  const algos = parseAlso(raw);
  if (bad) return { written: [], files: 0, failures: [{ path: "manifest-sha256.txt", reason: "has failures: the extra manifests were not written" }] };
  return writeExtraManifests(root, algos, ctx.signal);
}

/** The text lines for the extra manifests. */
export function printAlso(ctx: Context, r: ExtraManifestsResult): void {
  for (const w of r.written) ctx.out(`Also: ${w} (${r.files} files, same bytes as the SHA-256 manifest)`);
  for (const f of r.failures.slice(0, 50)) ctx.out(kleur.red(`  not written: ${JSON.stringify(f.path)}: ${f.reason}`));
}
