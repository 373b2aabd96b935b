#!/usr/bin/env bash
# Data-quality report measurements (docs/data-quality.md):
#   1. speed: tunecase inspect's checks on 100,000 generated tickets, as a ratio to one train of
#      the linear approach on the same train split, measured in the same run
#   2. label noise on HWU64 with labels flipped at random at 0%, 5% and 10% (3 seeds each): the
#      estimate against the truth, and precision / recall of the suspect list
#   3. curve projections: fitted on a quarter of HWU64's train file, checked against training on
#      2x and 4x that for real (3 seeds each)
#   4. bound: tunecase inspect on seeded samples of HWU64 (1,500, 4,000 and all rows, as
#      published and with 10% of the labels flipped): where the label-noise figure is an
#      estimate and where only an upper bound (the judging model still learning)
# Usage: bench/quality.sh [BUILD_DIR] [HWU64_DIR]   (PARTS="speed noise curve bound" picks parts)
set -euo pipefail
BUILD=${1:-build}
HWU=${2:-/work/shared/datasets/hwu64}
ROWS=${ROWS:-100000}
DRIVER=$BUILD/bench/quality_driver
PARTS=${PARTS:-speed noise curve bound}
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if want bound; then
  echo "== label-noise figure: estimate or upper bound (HWU64 samples, seed 3)"
  labels=$(tail -n +2 "$HWU/train.csv" | awk -F, '{ print $NF }' | sort -u | paste -sd' ')
  for rows in 1500 4000 all; do
    for flip in 0 0.10; do
      file="$work/bound-$rows-$flip.csv"
      # A seeded sample (every row gets a seeded random key), then flips to another label.
      { head -1 "$HWU/train.csv"
        tail -n +2 "$HWU/train.csv" | awk 'BEGIN { srand(3) } { printf "%.9f\t%s\n", rand(), $0 }' |
          sort -k1,1 | cut -f2- | awk -v n="$rows" 'n == "all" || NR <= n' |
          awk -F, -v OFS=, -v flip="$flip" -v labels="$labels" 'BEGIN { srand(5); n = split(labels, l, " ") }
            { if (rand() < flip) { do { x = l[int(rand() * n) + 1] } while (x == $NF); $NF = x } print }'
      } >"$file"
      echo "-- $rows rows, flipped $flip"
      "$BUILD/tunecase" inspect --data "$file" --label category --out "$work/out" |
        grep -E '^(label noise|high-quality)'
      # The table's columns (docs/data-quality.md), an estimate's included.
      python3 -c "import json,sys; n=json.load(open(sys.argv[1]))['label_noise']
print('figure {:.1%}, judge agrees {:.1%}, half-train figure {:.1%}, reading: {}'.format(
    n['estimate'], n['judge_accuracy'], n['half_train_estimate'], n['reading']))" \
        "$work/out/data.json"
    done
  done
fi

want curve || exit 0

# curve_check NAME TRAIN TEST QUARTER: fits the linear approach's curve on QUARTER seeded rows of
# TRAIN (sizes 250, 500, 1000 and all of them, 3 seeds), then trains on 2x and 4x that for real
# (3 seeds; 4x beyond the file: the whole file, one run) and says whether each projection's 95%
# interval holds the measured accuracy. Both runs score the same TEST file.
curve_check() {
  local name=$1 train=$2 test=$3 quarter=$4 dir="$work/$1"
  mkdir -p "$dir"
  { head -1 "$train"; tail -n +2 "$train" | awk 'BEGIN{srand(7)} {print rand() "\t" $0}' \
      | sort -k1,1 | cut -f2- | awk -v n="$quarter" 'NR <= n'; } > "$dir/quarter.csv"
  cat > "$dir/quarter.toml" <<TOML
[data]
train = "quarter.csv"
test = "$test"
label = "category"
dev_fraction = 0
[[approach]]
name = "linear"
kind = "linear"
[curve]
sizes = [250, 500, 1000, $quarter]
seeds = 3
TOML
  "$BUILD/tunecase" curve --config "$dir/quarter.toml" --out "$dir/quarter" > /dev/null 2>&1
  local n
  n=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['train_labels'])" "$dir/quarter/curve.json")
  cat > "$dir/full.toml" <<TOML
[data]
train = "$train"
test = "$test"
label = "category"
dev_fraction = 0
[[approach]]
name = "linear"
kind = "linear"
[curve]
sizes = [$((2 * n)), $((4 * n))]
seeds = 3
TOML
  "$BUILD/tunecase" curve --config "$dir/full.toml" --out "$dir/full" > /dev/null 2>&1
  echo "== curve projections on $name: fitted on $n labels, then trained for real"
  python3 - "$dir" <<'PY'
import json, sys
w = sys.argv[1]
fit = json.load(open(f"{w}/quarter/curve.json"))["approaches"][0]["fit"]
pts = {p["labels"]: p["mean_accuracy"] for p in json.load(open(f"{w}/full/curve.json"))["approaches"][0]["points"]}
print("saturation_visible", fit.get("saturation_visible"), "a", round(fit["a"], 4))
for key in ("projection_2x", "projection_4x"):
    p = fit[key]
    near = min(pts, key=lambda n: abs(n - p["labels"]))  # 4x beyond the file: the whole file
    real = pts[near]
    lo, hi = p["ci95"]
    print(f"{key}: labels {p['labels']} projected {p['accuracy']:.4f} ci95 [{lo:.4f}, {hi:.4f}] "
          f"measured {real:.4f} at {near} labels, covered {lo <= real <= hi}")
PY
}

# HWU64: a quarter of its train file (2,490 of 9,960 rows), its own test file.
curve_check hwu64 "$HWU/train.csv" "$HWU/test.csv" 2490
# The demo's generated tickets: 9,000 tickets, the last 1,500 as test, 1,875 of the rest to fit.
"$BUILD/tunecase" generate --tickets 9000 --out "$work/tickets.csv" > /dev/null
head -1 "$work/tickets.csv" > "$work/tickets_test.csv"
tail -n +2 "$work/tickets.csv" | tail -1500 >> "$work/tickets_test.csv"
head -n -1500 "$work/tickets.csv" > "$work/tickets_train.csv"
curve_check demo "$work/tickets_train.csv" "$work/tickets_test.csv" 1875
