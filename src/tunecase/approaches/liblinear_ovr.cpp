#include "tunecase/approaches/liblinear_ovr.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

// rand() and srand() for liblinear (liblinear_ovr.h): a per-thread linear congruential
// generator. The executable's definitions take the place of the C library's for every shared
// library in the process; nothing else in the project calls rand(). A thread that never seeds
// starts from 1, as the C library does.
namespace {
thread_local uint64_t rand_state = 1;
}  // namespace

extern "C" int rand() noexcept {
  // Knuth's MMIX multiplier; the high bits are the well-mixed ones. RAND_MAX is 2^31 - 1.
  rand_state = rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<int>(rand_state >> 33);
}

extern "C" void srand(unsigned seed) noexcept {
  rand_state = seed;
}

namespace tunecase {

void seed_liblinear(unsigned seed) {
  srand(seed);
}

void silence_liblinear() {
  static std::once_flag once;
  std::call_once(once, [] { set_print_string_function([](const char*) {}); });
}

void SparseRows::add(const std::vector<TfidfFeature>& features, int bias_index) {
  std::size_t need = features.size() + 2;
  if (chunk_used + need > chunk_capacity) {
    chunk_capacity = std::max(kChunkNodes, need);
    chunks.push_back(std::make_unique<feature_node[]>(chunk_capacity));
    chunk_used = 0;
  }
  feature_node* row = chunks.back().get() + chunk_used;
  feature_node* out = row;
  for (const auto& f : features) *out++ = {static_cast<int>(f.index) + 1, f.value};
  *out++ = {bias_index, 1.0};
  *out = {-1, 0.0};
  rows.push_back(row);
  chunk_used += need;
}

model* train_one_vs_rest(const problem& prob, const parameter& param, int threads, unsigned seed) {
  std::vector<int> classes;
  for (int i = 0; i < prob.l; ++i) classes.push_back(static_cast<int>(prob.y[i]));
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  const int K = static_cast<int>(classes.size());
  if (K <= 2) {
    seed_liblinear(seed);
    return ::train(&prob, &param);
  }
  const int w_size = prob.n;  // features + the bias feature
  auto* m = static_cast<model*>(std::malloc(sizeof(model)));
  m->param = param;
  m->nr_class = K;
  m->nr_feature = prob.n - 1;
  m->bias = prob.bias;
  m->label = static_cast<int*>(std::malloc(sizeof(int) * K));
  m->w = static_cast<double*>(std::malloc(sizeof(double) * w_size * K));
  std::copy(classes.begin(), classes.end(), m->label);
  std::atomic<int> next{0};
  auto work = [&] {
    std::vector<double> y(prob.l);
    for (int k = next++; k < K; k = next++) {
      for (int i = 0; i < prob.l; ++i) y[i] = prob.y[i] == classes[k] ? 1 : -1;
      problem binary = prob;
      binary.y = y.data();
      seed_liblinear(seed + static_cast<unsigned>(k));
      model* b = ::train(&binary, &param);
      double sign = b->label[0] == 1 ? 1 : -1;  // w scores label[0], the first label seen
      for (int j = 0; j < w_size; ++j) m->w[j * K + k] = sign * b->w[j];
      free_and_destroy_model(&b);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(threads, K); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return m;
}

}  // namespace tunecase
