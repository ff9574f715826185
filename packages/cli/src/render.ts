import { formatBytes, type ProgressEvent } from "@archive/core";

export { formatBytes };

/** Seconds for people: 45 s, 12 min, 3 h 20 min. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  return `${h} h ${Math.round((s - h * 3600) / 60)} min`;
}

/** One status line on a TTY: stage, count, rate, ETA, failures. Silent when not a TTY. */
export class ProgressRenderer {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private stageStart = Date.now();
  private lastDraw = 0;
  private shown = false;

  constructor(stream: NodeJS.WriteStream, options: { enabled: boolean }) {
    this.stream = stream;
    this.enabled = options.enabled;
  }

  handle(e: ProgressEvent): void {
    if (!this.enabled) return;
    if (e.kind === "stage") {
      this.clear();
      this.stageStart = Date.now();
      return;
    }
    if (e.kind === "note") {
      this.clear();
      this.stream.write(e.message + "\n");
      return;
    }
    if (e.kind !== "progress") return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && e.done !== e.total) return;
    this.lastDraw = now;
    const secs = Math.max(0.001, (now - this.stageStart) / 1000);
    const rate = e.done / secs;
    const parts = [`${e.stage}: ${e.done}${e.total ? `/${e.total}` : ""} files`, `${rate.toFixed(rate < 10 ? 1 : 0)}/s`];
    if (e.bytes) parts.push(`${formatBytes(e.bytes / secs)}/s`);
    if (e.total && rate > 0) parts.push(`ETA ${formatDuration((e.total - e.done) / rate)}`);
    if (e.failed) parts.push(`${e.failed} failed`);
    const width = this.stream.columns ?? 80;
    const line = parts.join("  ");
    this.stream.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length + 2))}`);
    this.shown = true;
  }

  clear(): void {
    if (this.enabled && this.shown) {
      this.stream.write(`\r${" ".repeat(Math.max(0, (this.stream.columns ?? 80) - 1))}\r`);
      this.shown = false;
    }
  }
}

/** A horizontal bar of `width` cells for value/max. */
export function bar(value: number, max: number, width = 30): string {
  if (max <= 0) return "";
  const cells = (value / max) * width;
  const full = Math.floor(cells);
  const part = cells - full;
  return "█".repeat(full) + (part >= 0.5 ? "▌" : full === 0 && value > 0 ? "▏" : "");
}
