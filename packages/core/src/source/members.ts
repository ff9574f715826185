// Reading catalogued zip members again after the scan (convert, hashing, verify): one open
// ZipPart per zip (and per nested zip) with its member index, so a job does not re-read a
// 100,000-entry central directory; one member copied at a time per job to the workspace's
// .archive/tmp and deleted when the job is done.
import { mkdir, rm } from "node:fs/promises";
import { extname, join } from "node:path";
import { removeDeadProcessFiles } from "../fsutil.js";
import { ZipPart, type ZipMember } from "./zip.js";

/** A catalogued member: the zip file, the nested zip's member path or null, the member path. */
export interface MemberLocation {
  container: string | null;
  nested: string | null;
  member: string | null;
}

interface OpenZip {
  part: ZipPart;
  members: Map<string, ZipMember>;
}

let counter = 0;

/** Open zips of a run, by path; close() in `finally`. */
export class ZipMembers {
  private readonly open = new Map<string, Promise<OpenZip>>();
  private swept = false;
  constructor(private readonly tmpDir: string) {}

  /**
   * Run `fn` with a path holding the member's bytes (CRC-checked): a temp copy in `tmpDir`,
   * deleted afterwards whatever `fn` does. Throws with a reason when the zip or member is gone.
   */
  async withFile<T>(loc: MemberLocation, fn: (path: string, sha256: string) => Promise<T>): Promise<T> {
    const { part, member } = await this.find(loc);
    if (!this.swept) {
      await mkdir(this.tmpDir, { recursive: true });
      removeDeadProcessFiles(this.tmpDir); // copies a killed run left behind
      this.swept = true;
    }
    const tmp = join(this.tmpDir, `job-${process.pid}-${++counter}${extname(member.path).slice(0, 16)}`);
    try {
      const { sha256 } = await part.extractTo(member, tmp);
      return await fn(tmp, sha256);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** The member's SHA-256, streamed from the zip (no temp copy). */
  async sha256(loc: MemberLocation): Promise<string> {
    const { part, member } = await this.find(loc);
    return part.sha256(member);
  }

  private async find(loc: MemberLocation): Promise<{ part: ZipPart; member: ZipMember }> {
    if (!loc.container || !loc.member) throw new Error("not a zip member");
    let z = await this.zip(loc.container, null);
    if (loc.nested) z = await this.zip(loc.container, loc.nested, z);
    const member = z.members.get(loc.member);
    if (!member) throw new Error(`${loc.member} is no longer in ${loc.nested ? `${loc.container}/${loc.nested}` : loc.container}`);
    return { part: z.part, member };
  }

  private zip(container: string, nested: string | null, outer?: OpenZip): Promise<OpenZip> {
    const key = nested ? `${container}\0${nested}` : container;
    let z = this.open.get(key);
    if (!z) {
      z = (async () => {
        let part: ZipPart;
        if (nested && outer) {
          const m = outer.members.get(nested);
          if (!m) throw new Error(`${nested} is no longer in ${container}`);
          part = await outer.part.openNested(m, container, join(this.tmpDir, `nested-${process.pid}-${++counter}.zip`));
        } else part = await ZipPart.open(container);
        const members = new Map<string, ZipMember>();
        for await (const m of part.members()) if (!("reason" in m)) members.set(m.path, m);
        return { part, members };
      })();
      this.open.set(key, z);
      z.catch(() => this.open.delete(key));
    }
    return z;
  }

  /** Close every zip (nested ones first, deleting their temp copies). */
  async close(): Promise<void> {
    const all = [...this.open.entries()].sort(([a], [b]) => b.length - a.length);
    this.open.clear();
    for (const [, z] of all) await z.then((x) => x.part.close(), () => undefined);
  }
}
