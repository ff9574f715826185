// The media model: how a file is recognised and read. One box iterator, one sniffer, the HEIF,
// QuickTime and Apple maker-note parsers, one tag mapping with one date cleaner, one walker.
export * from "./boxes.js";
export * from "./heif.js";
export * from "./icc.js";
export * from "./sniff.js";
export * from "./makernote.js";
export * from "./quicktime.js";
export * from "./exif.js";
export * from "./walk.js";
