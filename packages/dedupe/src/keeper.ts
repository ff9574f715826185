/** What the keeper rule looks at for each copy. */
export interface KeeperFacts {
  id: number;
  /** Path used for --keep-path and "shortest path" (absolute for sources, workspace-relative for the archive). */
  path: string;
  /** More paths --keep-path may match (e.g. the source-relative path). */
  matchPaths?: readonly string[];
  /** The item already has a finished job: its copy is in the archive. */
  archived: boolean;
  inAlbum: boolean;
  captureUtcMs: number | null;
  present: boolean;
}

export type KeepReason = "already archived" | "keep-path" | "in an album" | "earliest capture time" | "shortest path" | "first seen";

/** True when `path` is `prefix` or inside it (prefix compared as whole path segments). */
export function underPrefix(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/+$/, "");
  return p !== "" && (path === p || path.startsWith(p + "/"));
}

type Rule = { reason: KeepReason; cmp: (a: KeeperFacts, b: KeeperFacts) => number };

function rules(keepPath: readonly string[]): Rule[] {
  const pref = (f: KeeperFacts) => {
    const i = keepPath.findIndex((p) => underPrefix(f.path, p) || (f.matchPaths ?? []).some((m) => underPrefix(m, p)));
    return i < 0 ? keepPath.length : i;
  };
  return [
    // a copy that is already in the archive stays the keeper, so re-runs never flip it
    { reason: "already archived", cmp: (a, b) => Number(b.archived) - Number(a.archived) },
    { reason: "keep-path", cmp: (a, b) => pref(a) - pref(b) },
    { reason: "in an album", cmp: (a, b) => Number(b.inAlbum) - Number(a.inAlbum) },
    {
      reason: "earliest capture time",
      cmp: (a, b) => (a.captureUtcMs ?? Number.MAX_SAFE_INTEGER) - (b.captureUtcMs ?? Number.MAX_SAFE_INTEGER),
    },
    { reason: "shortest path", cmp: (a, b) => a.path.length - b.path.length },
    { reason: "first seen", cmp: (a, b) => a.id - b.id },
  ];
}

/**
 * The keeper rule: already archived > --keep-path PREFIX (in the order given) > inside an album >
 * earliest capture time > shortest path > first seen (lowest id). Only present files can be kept,
 * unless the archived copy of a file now gone is the keeper. Returns the order (keeper first) and
 * the rule that decided between the keeper and the runner-up.
 */
export function chooseKeeper<T extends KeeperFacts>(members: readonly T[], keepPath: readonly string[] = []): { ordered: T[]; reason: KeepReason } {
  const rs = rules(keepPath);
  const cmpAll = (a: T, b: T) => {
    for (const r of rs) {
      const d = r.cmp(a, b);
      if (d !== 0) return d;
    }
    return 0;
  };
  // a gone file can only be the keeper when it is the archived copy
  const eligible = (f: T) => f.present || f.archived;
  const ordered = [...members].sort((a, b) => Number(eligible(b)) - Number(eligible(a)) || cmpAll(a, b));
  const [k, second] = ordered;
  let reason: KeepReason = "first seen";
  if (k && second) {
    for (const r of rs) {
      if (r.cmp(k, second) !== 0) {
        reason = r.reason;
        break;
      }
    }
  }
  return { ordered, reason };
}
