import { join } from "node:path";
import type { Catalog, ConvertItemRow, ExifTool, HashCache, HashPool, HeifDecoder } from "@archive/core";
import type { CalibrationAccumulator } from "./calibration.js";
import type { RunJournal } from "./journal.js";
import type { Layout } from "./layout.js";
import type { RedoTarget } from "./redo.js";
import type { ConvertResult } from "./types.js";
import type { VideoTools } from "./video.js";

/** Everything one run's steps share: settings, the journal, the tools, and the result being built. */
export interface RunContext {
  root: string;
  catalog: Catalog;
  exiftool: ExifTool;
  quality: number;
  hdr: boolean;
  layout: Layout;
  link: boolean;
  keepOriginals: boolean;
  dry: boolean;
  signal: AbortSignal | undefined;
  /** More than one source: outputs go under a per-source folder. */
  multiSource: boolean;
  result: ConvertResult;
  journal: RunJournal;
  calibration: CalibrationAccumulator;
  hashes: HashPool;
  cache: HashCache;
  heif: HeifDecoder | null;
  video: VideoTools | null;
  /** Why videos cannot be converted in this run (ffmpeg/ffprobe not found), else null. */
  videoMissing: string | null;
  /** `--redo`: the items whose outputs are replaced, with the job each replaces. */
  redo: Map<number, RedoTarget>;
}

/** Zip-member items being handled now: their temp copy in .archive/tmp (zip-source.ts). */
export const memberFiles = new Map<number, string>();

/** The source file of an item (for a zip member: its copy while its unit is handled). */
export const sourceOf = (it: ConvertItemRow): string => memberFiles.get(it.id) ?? join(it.root, it.rel_path);
