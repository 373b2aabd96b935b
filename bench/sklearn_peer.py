#!/usr/bin/python3
"""The pipeline a data scientist builds in an afternoon, as the peer of tunecase's `linear`:
TF-IDF word 1-2 + char_wb 2-5 (sublinear tf, FeatureUnion) into LinearSVC.
Prints one JSON object: accuracy on test, fit seconds (vectorise + fit), predict rows/second."""
import csv
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return [r[0] for r in rows[1:]], [r[1] for r in rows[1:]]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sklearn_peer.py TRAIN.csv TEST.csv")
    train_x, train_y = read(sys.argv[1])
    test_x, test_y = read(sys.argv[2])
    pipeline = make_pipeline(
        FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]),
        LinearSVC(C=1.0),
    )
    start = time.perf_counter()
    pipeline.fit(train_x, train_y)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    predicted = pipeline.predict(test_x)
    predict_seconds = time.perf_counter() - start
    correct = sum(p == g for p, g in zip(predicted, test_y))
    print(json.dumps({
        "approach": "sklearn",
        "accuracy": correct / len(test_y),
        "train_seconds": fit_seconds,
        "predict_per_second": len(test_y) / predict_seconds,
    }))


if __name__ == "__main__":
    main()
