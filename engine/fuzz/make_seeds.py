"""Seeds for the `wfdb`, `tokenizer` and `digitize` fuzz targets (the readers' other seeds
come from `ecgmatch convert`, the `pdf` and `bundle` seeds from `make fixtures`).

wfdb: from the fixture records.

Each seed is a header, then for up to two of its signal files the separator and the
file's first bytes. Every header is used twice: as it is (so that most seeds end in
"truncated", as real damaged drops do) and without the number of samples, so that the
reader infers it from the bytes and decodes them. binformats is split into pairs of
signals because a seed carries at most two files.

tokenizer: the text tower's vocabulary (whole, and cut to what a few reports need), the
separator, then a report; the reports mix German, Swedish and English, special tokens, accents
and characters outside the vocabulary.

digitize: pictures as the target reads them (width and height as two little-endian u16 each,
then RGB rows): a real phone photo of a printout and rendered sheets, shrunk to 640 px wide.
Needs Pillow and the built CLI (`make cli`).

Run from this folder: python3 make_seeds.py  (writes seeds/wfdb/, seeds/tokenizer/,
seeds/digitize/)
"""
import os
import struct
import subprocess
import tempfile

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


TEXT_MARK = b"\n--text--\n"
REPORTS = [
    "sinusrhythmus lagetyp normal normales ekg",
    "Vorhofflimmern mit schneller Überleitung, überdrehter Linkstyp, Linksschenkelblock",
    "sinusrytm. vänsterställd el-axel. st-sänkning i V4-V6, möjligen ischemi",
    "[CLS] sinus rhythm. left ventricular hypertrophy [SEP] [MASK] inferior MI, age undetermined",
    "QRS 120 ms, QTc 480 ms; ΔST ≥ 0.2 mV — 心电图 ✓ 4.46 unbestätigter bericht",
]


def tokenizer_seeds():
    out = os.path.join(HERE, "seeds", "tokenizer")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(FIXTURES, "text", "vocab.txt"), "rb") as f:
        vocab = f.read()
    lines = vocab.split(b"\n")
    wanted = set()
    for report in REPORTS:
        for word in report.lower().replace(".", " ").replace(",", " ").split():
            wanted.add(word.encode())
    # The specials and unused slots, single characters and their continuations, and the words.
    small = [l for i, l in enumerate(lines) if i < 1000 or len(l.decode("utf-8", "replace")) == 1
             or (l.startswith(b"##") and len(l) == 3) or l in wanted]
    for i, report in enumerate(REPORTS):
        table = vocab if i == 0 else b"\n".join(small)
        with open(os.path.join(out, f"report-{i}"), "wb") as f:
            f.write(table + TEXT_MARK + report.encode())


def picture_seed(path, image):
    from PIL import Image  # developers only: the seeds are committed

    image = image.convert("RGB")
    if image.width > 640:
        image = image.resize((640, round(image.height * 640 / image.width)), Image.LANCZOS)
    with open(path, "wb") as f:
        f.write(struct.pack("<HH", image.width - 1, image.height - 1) + image.tobytes())


def digitize_seeds():
    from PIL import Image

    out = os.path.join(HERE, "seeds", "digitize")
    os.makedirs(out, exist_ok=True)
    cli = os.path.join(HERE, "..", "..", "target", "release", "ecgmatch")
    picture_seed(os.path.join(out, "phone-photo"),
                 Image.open(os.path.join(FIXTURES, "paper-photos", "01032_hr-0.jpg")))
    record = os.path.join(FIXTURES, "ptbxl-fold10", "00009_lr.hea")
    with tempfile.TemporaryDirectory() as tmp:
        for layout, level in [("3x4", "clean")]:
            png = os.path.join(tmp, f"{layout}-{level}.png")
            subprocess.run([cli, "render", record, "--layout", layout, "--level", level, "--out", png],
                           check=True, stdout=subprocess.DEVNULL)
            picture_seed(os.path.join(out, f"rendered-{layout}-{level}"), Image.open(png))


if __name__ == "__main__":
    main()
    tokenizer_seeds()
    digitize_seeds()
