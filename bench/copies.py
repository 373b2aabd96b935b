#!/usr/bin/env python3
"""HWU64's train file written N times over with small changes, optionally with a share of its
texts given another label (every copy of a text carries the same label): the data behind the
label-noise figures on near-duplicates in docs/data-quality.md.

  python3 bench/copies.py HWU_TRAIN_CSV N OUT_CSV [FLIP_SHARE]

Copy 0 is the text as published; copy k appends or prepends a filler word, changes one letter,
or appends a number (by k mod 4). Seeded: the same arguments write the same file.
"""
import csv
import random
import sys

WORDS = "please now today really kindly ok hey um so just".split()


def perturb(text, k):
    words = text.split()
    if k == 0:
        return text
    op = k % 4
    if op == 0:
        words.append(random.choice(WORDS))
    elif op == 1:
        words.insert(0, random.choice(WORDS))
    elif op == 2 and len(text) > 3:
        i = random.randrange(len(text))
        return text[:i] + random.choice("abcdefghijklmnopqrstuvwxyz") + text[i + 1:] + " " + str(k)
    else:
        words.append(str(random.randint(0, 9999)))
    return " ".join(words)


def main():
    source, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    share = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    rows = list(csv.DictReader(open(source)))
    random.seed(11 if share > 0 else 1)
    flip = {}
    if share > 0:
        labels = sorted({r["category"] for r in rows})
        flip = {i: random.choice([l for l in labels if l != r["category"]])
                for i, r in enumerate(rows) if random.random() < share}
    w = csv.writer(open(out, "w", newline=""), lineterminator="\n")
    w.writerow(["text", "category"])
    for k in range(copies):
        for i, r in enumerate(rows):
            w.writerow([perturb(r["text"], k), flip.get(i, r["category"])])
    if share > 0:
        print(f"{len(flip) / len(rows):.3f} of the texts relabelled", file=sys.stderr)


main()
