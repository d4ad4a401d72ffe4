"""Seeds for the `wfdb` fuzz target from the fixture records.

Each seed is a header, then for up to two of its signal files the separator and the
file's first bytes. Every header is used twice: as it is (so that most seeds end in
"truncated", as real damaged drops do) and without the number of samples, so that the
reader infers it from the bytes and decodes them. binformats is split into pairs of
signals because a seed carries at most two files.

Run from this folder: python3 make_seeds.py  (writes seeds/wfdb/)
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "tests", "fixtures")
OUT = os.path.join(HERE, "seeds", "wfdb")
SEPARATOR = b"\n--dat--\n"
PREFIX = 1024


def field_lines(header):
    return [l for l in header.splitlines() if l.strip() and not l.strip().startswith(b"#")]


def seed(header, folder):
    names = []
    for line in field_lines(header)[1:]:
        name = line.split()[0].decode("latin-1")
        if name not in names:
            names.append(name)
    data = header
    for name in names[:2]:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data += SEPARATOR + f.read(PREFIX)
    return data


def without_length(header):
    lines = header.split(b"\n")
    for i, line in enumerate(lines):
        if line.strip() and not line.strip().startswith(b"#"):
            lines[i] = b" ".join(line.split()[:3])
            break
    return b"\n".join(lines)


def main():
    os.makedirs(OUT, exist_ok=True)
    for sub in ["wfdb", "ptbxl"]:
        folder = os.path.join(FIXTURES, sub)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".hea"):
                continue
            with open(os.path.join(folder, name), "rb") as f:
                header = f.read()
            headers = [(name[:-4], header)]
            if name == "binformats.hea":
                lines = field_lines(header)
                headers = [
                    (f"binformats_{i}", b"binformats 2 200 499\n" + lines[1 + i] + b"\n" + lines[2 + i] + b"\n")
                    for i in range(0, 10, 2)
                ]
            for stem, text in headers:
                for suffix, variant in [("", text), ("_nolength", without_length(text))]:
                    with open(os.path.join(OUT, stem + suffix), "wb") as f:
                        f.write(seed(variant, folder))


if __name__ == "__main__":
    main()
