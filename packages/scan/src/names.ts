import { posix } from "node:path";

/** How a file relates to its siblings by name: an original, an edited render, or a sidecar. */
export type Variant = "original" | "edit" | "sidecar";

/**
 * The name that ties an original to its edits and sidecars, lower-cased:
 * IMG_E1234.heic and IMG_O1234.aae -> img_1234; photo_edited.jpg and "photo (Edited).jpg" -> photo.
 */
export function baseStem(relPath: string, isSidecar: boolean): { dir: string; stem: string; variant: Variant } {
  const dir = posix.dirname(relPath);
  const name = posix.basename(relPath);
  const dot = name.lastIndexOf(".");
  let stem = (dot > 0 ? name.slice(0, dot) : name).normalize("NFC");
  let variant: Variant = isSidecar ? "sidecar" : "original";
  const apple = /^(IMG|DSC|DSCN|IMG)_([EO])(\d{4})$/i.exec(stem);
  if (apple) {
    stem = `${apple[1]}_${apple[3]}`;
    if (!isSidecar && apple[2]!.toUpperCase() === "E") variant = "edit";
  } else {
    const edited = /^(.*?)(?:[_\- ]edited|\s*\(edited\))$/i.exec(stem);
    if (edited && edited[1]) {
      stem = edited[1];
      if (!isSidecar) variant = "edit";
    }
  }
  return { dir: dir === "." ? "" : dir, stem: stem.toLowerCase(), variant };
}
