// Zip-part items in convert (issue 10): before a unit (an item and its Live Photo videos) is
// handled, each of its zip members is copied to the workspace's .archive/tmp and `sourceOf`
// answers with that copy; the copies are deleted when the unit is done, so the extra disk is one
// unit per job. A member that cannot be copied is left to fail in the job with its reason.
import { join } from "node:path";
import { itemLocation, selectedLiveVideos, ZipMembers, type ConvertItemRow } from "@archive/core";
import { memberFiles, type RunContext } from "./context.js";

const open = new WeakMap<RunContext, ZipMembers>();

function membersOf(ctx: RunContext): ZipMembers {
  let zm = open.get(ctx);
  if (!zm) open.set(ctx, (zm = new ZipMembers(join(ctx.root, ".archive", "tmp"))));
  return zm;
}

/** Run `fn` (one unit's handling) with the unit's zip members available as temp files. */
export async function withZipSources<T>(ctx: RunContext, it: ConvertItemRow, fn: () => Promise<T>): Promise<T> {
  const unit = it.live_role === "still" && it.live_group !== null ? [it, ...selectedLiveVideos(ctx.catalog, it.live_group)] : [it];
  const zipped = ctx.dry ? [] : unit.flatMap((x) => {
    const loc = itemLocation(ctx.catalog, x.id);
    return loc ? [{ id: x.id, loc }] : [];
  });
  if (!zipped.length) return fn();
  return nest(membersOf(ctx), zipped, fn);
}

type Zipped = { id: number; loc: Parameters<ZipMembers["withFile"]>[0] };

/** One member's copy around the rest (recursively), so every copy is deleted whatever happens. */
async function nest<T>(zm: ZipMembers, rest: readonly Zipped[], fn: () => Promise<T>): Promise<T> {
  const [first, ...others] = rest;
  if (!first) return fn();
  let ran = false;
  let value!: T;
  try {
    await zm.withFile(first.loc, async (path) => {
      memberFiles.set(first.id, path);
      ran = true;
      try {
        value = await nest(zm, others, fn);
      } finally {
        memberFiles.delete(first.id);
      }
    });
  } catch (err) {
    if (ran) throw err;
    // the copy failed (zip gone, member damaged): the job reports the item with the reason
    return nest(zm, others, fn);
  }
  return value;
}

/** Close the run's zips (at the end of the run). */
export async function closeZipSources(ctx: RunContext): Promise<void> {
  const zm = open.get(ctx);
  open.delete(ctx);
  await zm?.close();
}
