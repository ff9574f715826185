"""An RFC 8493 (BagIt 1.0) validator using only the Python standard library.

Independent of the TypeScript code under test: it reads the tag files, percent-decodes manifest
paths (%0A, %0D, %25 -- RFC 8493 section 2.1.3), checks Payload-Oxum, that the payload under
data/ and the manifest list exactly the same files, every SHA-256, and the tag manifest.
Usage: python3 bag_validate.py BAG_DIR   (exit 0 valid, 1 invalid; reasons on stderr)
"""
import hashlib
import os
import re
import sys


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def decode(p):
    return re.sub(r"%(0A|0D|25)", lambda m: {"0A": "\n", "0D": "\r", "25": "%"}[m.group(1).upper()], p, flags=re.I)


def read_manifest(path):
    entries = {}
    with open(path, "rb") as f:
        data = f.read().decode("utf-8")
    for line in data.split("\n"):
        if line == "":
            continue
        m = re.match(r"^([0-9a-fA-F]+)[ \t]+(.+)$", line)
        if not m:
            raise ValueError("bad manifest line in %s: %r" % (path, line))
        rel = decode(m.group(2))
        if rel in entries:
            raise ValueError("listed twice: %r" % rel)
        entries[rel] = m.group(1).lower()
    return entries


def tags(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if ":" in line:
                k, v = line.split(":", 1)
                out[k.strip()] = v.strip()
    return out


def main(bag):
    errors = []
    bt = tags(os.path.join(bag, "bagit.txt"))
    if bt.get("BagIt-Version") != "1.0" or bt.get("Tag-File-Character-Encoding") != "UTF-8":
        errors.append("bagit.txt: %r" % bt)
    info = tags(os.path.join(bag, "bag-info.txt"))
    manifest = read_manifest(os.path.join(bag, "manifest-sha256.txt"))
    on_disk = {}
    for dirpath, _, files in os.walk(os.path.join(bag, "data")):
        for name in files:
            full = os.path.join(dirpath, name)
            on_disk[os.path.relpath(full, bag)] = full
    for rel in sorted(set(manifest) - set(on_disk)):
        errors.append("in manifest, not on disk: %r" % rel)
    for rel in sorted(set(on_disk) - set(manifest)):
        errors.append("on disk, not in manifest: %r" % rel)
    size = sum(os.stat(p).st_size for p in on_disk.values())
    if info.get("Payload-Oxum") != "%d.%d" % (size, len(on_disk)):
        errors.append("Payload-Oxum %s, found %d.%d" % (info.get("Payload-Oxum"), size, len(on_disk)))
    for rel, digest in manifest.items():
        if rel in on_disk and sha256(on_disk[rel]) != digest:
            errors.append("checksum mismatch: %r" % rel)
    for rel, digest in read_manifest(os.path.join(bag, "tagmanifest-sha256.txt")).items():
        if sha256(os.path.join(bag, rel)) != digest:
            errors.append("tag checksum mismatch: %r" % rel)
    for e in errors:
        sys.stderr.write(e + "\n")
    print("valid: %d payload files" % len(on_disk) if not errors else "INVALID")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
