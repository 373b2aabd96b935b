#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <linear.h>

#include "tunecase/approaches/tfidf.h"

namespace tunecase {

// liblinear plumbing shared by the linear approach and the data-quality report's k-fold models.

// liblinear prints iteration logs to stdout unless told otherwise; the CLI's output is ours.
void silence_liblinear();

struct LiblinearModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};
using LiblinearModel = std::unique_ptr<model, LiblinearModelDeleter>;

// Rows of liblinear's sparse format: 1-based feature indices, a bias feature (the intercept, as
// LinearSVC's fit_intercept) and an index -1 terminator per row. Rows are packed into fixed
// chunks rather than one growing vector: at 16 bytes a node the matrix is most of the memory,
// and a vector's doubling would hold up to three times it while it moves. A row pointer stays
// valid for the life of the object, so a subset of rows is a vector of pointers, not a copy.
struct SparseRows {
  static constexpr std::size_t kChunkNodes = std::size_t{1} << 20;  // 16 MB
  std::vector<std::unique_ptr<feature_node[]>> chunks;
  std::size_t chunk_capacity = 0;
  std::size_t chunk_used = 0;
  std::vector<feature_node*> rows;
  std::vector<double> y;

  void add(const std::vector<TfidfFeature>& features, int bias_index);
};

// liblinear's dual solvers shuffle their coordinates with rand(). This project defines rand()
// and srand() itself (liblinear_ovr.cpp), with one generator per thread, so a model trained on a
// thread that seeded it is the same on every run however many threads train beside it. The
// C library's rand() is one process-wide sequence that racing threads would interleave.
// Sets the calling thread's rand() seed.
void seed_liblinear(unsigned seed);

// One binary liblinear model per class (one-vs-rest, as liblinear does internally), trained on
// `threads` threads and assembled into the multi-class model liblinear itself would build:
// w[feature * nr_class + class]. liblinear has no threads of its own, and the classes are
// independent. Class k's solver draws from rand() seeded with `seed + k` on whichever thread
// trains it, so the model is the same on every run and for any number of threads.
model* train_one_vs_rest(const problem& prob, const parameter& param, int threads,
                         unsigned seed = 1);

}  // namespace tunecase
