#!/usr/bin/env bash
# How well the local models' confidence matches their accuracy (docs/serve.md "Confidence"):
# `tunecase eval` trains a linear and a fasttext approach on DATASET/train.csv, `tunecase serve`
# runs them as a shadow pilot, every row of DATASET/test.csv is classified and then labelled
# through the gateway, and the confidences are read back from the store beside the labels.
# Prints per approach: answers, mean confidence, accuracy, and the same per fifth of the
# confidence range. Every figure is measured.
# Usage: bench/confidence.sh [BUILD_DIR] [DATASET_DIR]
#   (default ../shared/datasets/hwu64: CSVs with a header `text,category`; needs python3,
#   which scripts/install-deps installs for the benchmarks)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
dataset=$(cd "${2:-$here/../../shared/datasets/hwu64}" && pwd)
work=$(mktemp -d /tmp/tunecase-confidence.XXXXXX)
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cp "$dataset/train.csv" "$dataset/test.csv" "$work/"
cat >"$work/tunecase.toml" <<'CONF'
[data]
path = "train.csv"
text = "text"
label = "category"

[[approach]]
name = "linear"
kind = "linear"

[[approach]]
name = "fasttext"
kind = "fasttext"

[pilot]
champion = "linear"
challenger = "fasttext"
mode = "shadow"
CONF
cd "$work"
"$build/tunecase" eval --config tunecase.toml --out out >/dev/null
"$build/tunecase" serve --config tunecase.toml --eval out --store pilot.db --port 0 \
  --port-file port --no-cache >serve.log 2>&1 &
serve_pid=$!
for _ in $(seq 1 200); do [ -s port ] && break; sleep 0.05; done

python3 - "$(cat port)" <<'PY'
import csv, json, sqlite3, sys, time, urllib.request
port = sys.argv[1]
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
rows = list(csv.DictReader(open("test.csv", encoding="utf-8")))
for i, r in enumerate(rows):
    post("/v1/classify", {"text": r["text"], "id": f"T-{i}"})
time.sleep(1)  # the shadow answers are logged after the champion's
for i, r in enumerate(rows):
    post("/v1/feedback", {"id": f"T-{i}", "label": r["category"]})
time.sleep(1)
db = sqlite3.connect("pilot.db")
print(f"{len(rows)} test rows from the dataset; confidence against accuracy (measured)")
for (approach,) in db.execute("SELECT DISTINCT approach FROM predictions ORDER BY 1"):
    n, conf, acc = db.execute(
        "SELECT COUNT(*), AVG(p.confidence), AVG(f.correct) FROM predictions p "
        "JOIN feedback f ON f.prediction_id = p.prediction_id WHERE p.approach = ?",
        (approach,)).fetchone()
    print(f"{approach}: {n} labelled answers, mean confidence {conf:.3f}, accuracy {acc:.3f}")
    for low, m, c, a in db.execute(
            "SELECT MIN(CAST(p.confidence * 5 AS INT), 4) AS fifth, COUNT(*), AVG(p.confidence), "
            "AVG(f.correct) FROM predictions p JOIN feedback f ON f.prediction_id = p.prediction_id "
            "WHERE p.approach = ? GROUP BY fifth ORDER BY fifth", (approach,)):
        print(f"  confidence {low / 5:.1f}-{(low + 1) / 5:.1f}: {m} answers, "
              f"mean confidence {c:.3f}, right {a:.3f}")
PY
