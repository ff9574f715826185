// The ICC profile's description: one reader, in core (scan names a HEIF's profile with it too).
export { iccDescription } from "@archive/core";
