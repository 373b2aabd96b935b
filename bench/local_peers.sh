#!/usr/bin/env bash
# Local approaches vs the tools a data scientist would reach for, in one run on one machine:
#   linear   vs scikit-learn (TF-IDF word 1-2 + char_wb 2-5, sublinear tf, LinearSVC)
#   fasttext vs the `fasttext supervised` CLI with the hyper-parameters our fasttext chose
#            (ours gets a 10% dev split of TRAIN, as `tunecase eval` does, searches on it for
#            autotune_seconds, then refits on all of TRAIN; the CLI trains once on all of TRAIN)
#   fasttext-fixed (the chosen hyper-parameters, no search) vs the same CLI run: train speed
# Prints each side's JSON, then a table of accuracy, train seconds and the ratio ours / peer,
# plus the peak memory (max RSS) of our driver per approach.
#
# usage: bench/local_peers.sh [DATASET_DIR]   (a folder with train.csv and test.csv, columns
#        text,category; default ../shared/datasets/hwu64 next to the repository)
# env:   BUILD=build folder holding bench/local_peers_driver (default: build)
#        cmake -S . -B build && cmake --build build -j2 --target local_peers_driver
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$repo/../shared/datasets/hwu64}"
build="${BUILD:-$repo/build}"
driver="$build/bench/local_peers_driver"
python=/usr/bin/python3  # Debian's python3-sklearn lives there, not in a virtualenv

if [[ ! -f "$data/train.csv" || ! -f "$data/test.csv" ]]; then
  echo "local_peers: no dataset at $data (train.csv + test.csv); skipping"
  exit 0
fi
if [[ ! -x "$driver" ]]; then
  echo "local_peers: $driver is missing; build it with" >&2
  echo "  cmake -S $repo -B $build && cmake --build $build -j2 --target local_peers_driver" >&2
  exit 1
fi
for tool in fasttext /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "local_peers: $tool missing (scripts/install-deps with TUNECASE_BENCH_DEPS=1)" >&2; exit 1; }
done
"$python" -c "import sklearn" 2>/dev/null || { echo "local_peers: python3-sklearn missing (scripts/install-deps with TUNECASE_BENCH_DEPS=1)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "# machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Ours, one approach per process so that max RSS is per approach.
ours() {  # NAME DRIVER_ARGS...
  local name=$1
  shift
  /usr/bin/time -v "$driver" "$data/train.csv" "$data/test.csv" "$@" \
    >"$work/$name.json" 2>"$work/$name.time"
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
  "$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["max_rss_mb"]=int(sys.argv[2])/1024; print(json.dumps(r))' \
    "$work/$name.json" "$rss_kb" >"$work/$name.out"
  cat "$work/$name.out"
}
ours linear linear
ours fasttext --dev 0.1 fasttext
fixed=$("$python" -c 'import json,sys; d=json.load(open(sys.argv[1]))["describe"]
p={k: d[k] for k in ["epoch","lr","word_ngrams","minn","maxn","dim","bucket","loss","threads","seed"]}
p["autotune_seconds"]=0; print(json.dumps(p))' "$work/fasttext.out")
ours fasttext-fixed "fasttext:$fixed"

"$python" "$repo/bench/sklearn_peer.py" "$data/train.csv" "$data/test.csv" | tee "$work/sklearn.out"

# The fastText CLI: same tokens as ours (lower-case words), same hyper-parameters as our run.
"$python" - "$data" "$work" <<'PY'
import csv, json, re, sys
data, work = sys.argv[1], sys.argv[2]
def convert(name):
    with open(f"{data}/{name}.csv", newline="", encoding="utf-8") as f, \
         open(f"{work}/{name}.txt", "w", encoding="utf-8") as out:
        for row in list(csv.reader(f))[1:]:
            words = re.findall(r"[\w']+", row[0].lower())
            if words:
                out.write("__label__" + row[1].replace(" ", "_") + " " + " ".join(words) + "\n")
convert("train"); convert("test")
d = json.load(open(f"{work}/fasttext.out"))["describe"]
print(" ".join(["-epoch", str(d["epoch"]), "-lr", str(d["lr"]), "-wordNgrams", str(d["word_ngrams"]),
                "-minn", str(d["minn"]), "-maxn", str(d["maxn"]), "-dim", str(d["dim"]),
                "-bucket", str(d["bucket"]), "-loss", d["loss"], "-thread", str(d["threads"])]),
      file=open(f"{work}/fasttext.args", "w"))
PY
start=$(date +%s.%N)
# shellcheck disable=SC2046
fasttext supervised -input "$work/train.txt" -output "$work/ft" -verbose 0 $(cat "$work/fasttext.args") >/dev/null
end=$(date +%s.%N)
p_at_1=$(fasttext test "$work/ft.bin" "$work/test.txt" | awk '/^P@1/ {print $2}')
"$python" -c 'import json,sys; print(json.dumps({"approach":"fasttext-cli","accuracy":float(sys.argv[1]),"train_seconds":float(sys.argv[3])-float(sys.argv[2]),"args":sys.argv[4]}))' \
  "$p_at_1" "$start" "$end" "$(cat "$work/fasttext.args")" | tee "$work/fasttext-cli.out"

"$python" - "$work" <<'PY'
import json, sys
work = sys.argv[1]
r = {name: json.load(open(f"{work}/{name}.out"))
     for name in ["linear", "fasttext", "fasttext-fixed", "sklearn", "fasttext-cli"]}
print()
print("| ours | accuracy | train s | peer | accuracy | train s | accuracy diff (pts) | train time ours/peer | our max RSS MB |")
print("|---|---|---|---|---|---|---|---|---|")
for ours, peer in [("linear", "sklearn"), ("fasttext", "fasttext-cli"), ("fasttext-fixed", "fasttext-cli")]:
    a, b = r[ours], r[peer]
    print(f"| {ours} | {a['accuracy']:.4f} | {a['train_seconds']:.2f} | {peer} | {b['accuracy']:.4f} "
          f"| {b['train_seconds']:.2f} | {100 * (a['accuracy'] - b['accuracy']):+.2f} "
          f"| {a['train_seconds'] / b['train_seconds']:.2f} | {a['max_rss_mb']:.0f} |")
PY
