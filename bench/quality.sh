#!/usr/bin/env bash
# Data-quality report measurements (docs/data-quality.md):
#   1. speed: tunecase inspect's checks on 100,000 generated tickets, as a ratio to one train of
#      the linear approach on the same train split, measured in the same run
#   2. label noise on HWU64 with labels flipped at random at 0%, 5% and 10% (3 seeds each): the
#      estimate against the truth, and precision / recall of the suspect list
#   3. curve projections: fitted on a quarter of HWU64's train file, checked against training on
#      2x and 4x that for real (3 seeds each)
# Usage: bench/quality.sh [BUILD_DIR] [HWU64_DIR]   (PARTS="speed noise curve" picks parts)
set -euo pipefail
BUILD=${1:-build}
HWU=${2:-/work/shared/datasets/hwu64}
ROWS=${ROWS:-100000}
DRIVER=$BUILD/bench/quality_driver
PARTS=${PARTS:-speed noise curve}
want() { [[ " $PARTS " == *" $1 "* ]]; }

if want speed; then
  echo "== speed ($ROWS rows)"
  "$DRIVER" --speed "$ROWS"
fi

if want noise; then
  echo "== label noise on HWU64 train ($HWU/train.csv)"
  for rate in 0 0.05 0.10; do
    echo "flip rate $rate"
    "$DRIVER" --flips "$HWU/train.csv" --label category --rate "$rate" --seeds 3
  done
fi
want curve || exit 0

echo "== curve projections: fit on a quarter of HWU64 train, then train for real"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A seeded quarter of the train file (2,490 rows), the header kept.
{ head -1 "$HWU/train.csv"; tail -n +2 "$HWU/train.csv" | awk 'BEGIN{srand(7)} {print rand() "\t" $0}' \
    | sort -k1,1 | cut -f2- | awk 'NR <= 2490'; } > "$work/quarter.csv"
cat > "$work/quarter.toml" <<TOML
[data]
train = "quarter.csv"
test = "$HWU/test.csv"
label = "category"
dev_fraction = 0
[[approach]]
name = "linear"
kind = "linear"
[curve]
sizes = [250, 500, 1000, 2490]
seeds = 3
TOML
"$BUILD/tunecase" curve --config "$work/quarter.toml" --out "$work/quarter" > /dev/null 2>&1
n=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['train_labels'])" "$work/quarter/curve.json")
cat > "$work/full.toml" <<TOML
[data]
train = "$HWU/train.csv"
test = "$HWU/test.csv"
label = "category"
dev_fraction = 0
[[approach]]
name = "linear"
kind = "linear"
[curve]
sizes = [$((2 * n)), $((4 * n))]
seeds = 3
TOML
"$BUILD/tunecase" curve --config "$work/full.toml" --out "$work/full" > /dev/null 2>&1
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
fit = json.load(open(f"{w}/quarter/curve.json"))["approaches"][0]["fit"]
pts = {p["labels"]: p["mean_accuracy"] for p in json.load(open(f"{w}/full/curve.json"))["approaches"][0]["points"]}
print("saturation_visible", fit.get("saturation_visible"), "a", round(fit["a"], 4))
for key in ("projection_2x", "projection_4x"):
    p = fit[key]
    real = pts.get(p["labels"])  # 4x may exceed the file: then the whole train split (one run)
    if real is None:
        near = min(pts, key=lambda n: abs(n - p["labels"]))
        real = pts[near]
    lo, hi = p.get("ci95", [None, None])
    inside = real is not None and lo is not None and lo <= real <= hi
    print(f"{key}: labels {p['labels']} projected {p['accuracy']:.4f} ci95 [{lo:.4f}, {hi:.4f}] "
          f"measured {real:.4f} covered {inside}")
PY
