import { availableParallelism } from "node:os";
import type { ConvertCalibration } from "@archive/core";

/** Sums what each conversion measured, for `plan`'s estimate of the next batch. */
export class CalibrationAccumulator {
  private photoSeconds = 0;
  private photoCount = 0;
  private photoIn = 0;
  private photoOut = 0;
  private videoSeconds = 0;
  private videoDuration = 0;
  private videoIn = 0;
  private videoOut = 0;

  /** One HEIC converted: wall seconds, source and output bytes. */
  photo(seconds: number, bytesIn: number, bytesOut: number): void {
    this.photoSeconds += seconds;
    this.photoCount++;
    this.photoIn += bytesIn;
    this.photoOut += bytesOut;
  }

  /** One video encoded: encode seconds, the source's duration, source and output bytes. */
  video(encodeSeconds: number, sourceDuration: number, bytesIn: number, bytesOut: number): void {
    this.videoSeconds += encodeSeconds;
    this.videoDuration += Number.isFinite(sourceDuration) ? sourceDuration : 0;
    this.videoIn += bytesIn;
    this.videoOut += bytesOut;
  }

  /** The calibration, or undefined when nothing was converted. */
  result(): ConvertCalibration | undefined {
    if (!this.photoCount && !this.videoDuration) return undefined;
    return {
      // each photo occupies one core; x264 uses every core for one video
      photoSeconds: this.photoCount ? this.photoSeconds / this.photoCount : 1.6,
      videoSecondsPerSecond: this.videoDuration ? (this.videoSeconds * availableParallelism()) / this.videoDuration : 1.5,
      ...(this.photoIn ? { heicToJpegBytes: this.photoOut / this.photoIn } : {}),
      ...(this.videoIn ? { hevcToH264Bytes: this.videoOut / this.videoIn } : {}),
      measuredAt: new Date().toISOString(),
    };
  }
}
