#include "tunecase/quality/near_duplicates.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <thread>
#include <tuple>
#include <utility>

#include "tunecase/data/normalize.h"

namespace tunecase {
namespace {

constexpr std::size_t kShingle = 5;
constexpr std::size_t kHashes = 64;
constexpr std::size_t kBands = 16;
constexpr std::size_t kRows = kHashes / kBands;

// splitmix64's finaliser: a cheap, well-mixed 64-bit permutation.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// FNV-1a over the bytes of one shingle.
uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// A shingle's hash folded to 32 bits: a text's set is held for the whole run, and half the
// bytes matter more than the chance of two of one pair's few hundred shingles colliding (about
// one in 10^5 per pair, which moves its similarity by under 1%).
uint32_t shingle_hash(std::string_view s) {
  uint64_t h = hash_bytes(s);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// The sorted, distinct hashes of the character 5-grams (code points) of the normalised text (the
// whole text when shorter). Characters, not bytes: a byte 5-gram spans under two characters of
// Chinese or Japanese and under three of Cyrillic, so pairs of those scripts scored higher than
// an ASCII pair with the same edits (0.67 read as 0.82) and the threshold meant less for them.
std::vector<uint32_t> shingles(std::string_view text) {
  std::string norm = normalize_text(text);
  std::vector<std::size_t> starts;  // where each character begins, and the end
  starts.reserve(norm.size() + 1);
  for (std::size_t i = 0; i < norm.size(); ++i)
    if ((static_cast<unsigned char>(norm[i]) & 0xC0) != 0x80) starts.push_back(i);
  starts.push_back(norm.size());
  const std::size_t chars = starts.size() - 1;
  std::vector<uint32_t> out;
  if (chars <= kShingle) {
    out.push_back(shingle_hash(norm));
    return out;
  }
  out.reserve(chars - kShingle + 1);
  const std::string_view view(norm);
  for (std::size_t k = 0; k + kShingle <= chars; ++k)
    out.push_back(shingle_hash(view.substr(starts[k], starts[k + kShingle] - starts[k])));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double jaccard(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++common, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  std::size_t both = a.size() + b.size() - common;
  return both == 0 ? 1.0 : static_cast<double>(common) / static_cast<double>(both);
}

// Shingle sets and MinHash band keys of a list of texts.
struct Sketches {
  std::vector<std::vector<uint32_t>> sets;
  std::vector<std::array<uint64_t, kBands>> bands;
};

Sketches sketch(const std::vector<std::string_view>& texts, int threads) {
  Sketches s;
  s.sets.resize(texts.size());
  s.bands.resize(texts.size());
  // The k-th hash of a shingle is its mixed hash xor a salt, times an odd multiplier, folded:
  // one multiply per hash instead of a full mix, still close enough to min-wise independent for
  // candidate generation (every candidate is verified on the exact sets).
  std::array<uint64_t, kHashes> salt, odd;
  for (std::size_t k = 0; k < kHashes; ++k) {
    salt[k] = mix(2 * k + 1);
    odd[k] = mix(2 * k + 2) | 1;
  }
  auto work = [&](std::size_t begin, std::size_t end) {
    std::array<uint64_t, kHashes> minimum;
    for (std::size_t t = begin; t < end; ++t) {
      s.sets[t] = shingles(texts[t]);
      s.sets[t].shrink_to_fit();
      minimum.fill(~uint64_t{0});
      for (uint32_t h : s.sets[t]) {
        uint64_t m = mix(h);
        for (std::size_t k = 0; k < kHashes; ++k) {
          uint64_t v = (m ^ salt[k]) * odd[k];
          minimum[k] = std::min(minimum[k], v ^ (v >> 29));
        }
      }
      for (std::size_t band = 0; band < kBands; ++band) {
        uint64_t key = band;
        for (std::size_t r = 0; r < kRows; ++r) key = mix(key ^ minimum[band * kRows + r]);
        s.bands[t][band] = key;
      }
    }
  };
  std::size_t n = texts.size();
  std::size_t workers = std::max(1, std::min<int>(threads, static_cast<int>(n / 1000) + 1));
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < workers; ++w)
    pool.emplace_back(work, n * w / workers, n * (w + 1) / workers);
  work(0, n / workers);
  for (auto& t : pool) t.join();
  return s;
}

// Every (band key, text) pair, sorted: a bucket is a run of equal keys, its texts in ascending
// order. 16 bytes a pair; a hash map of vectors took about 120 (a node, a vector and its block
// for nearly every key), most of inspect's memory on short texts.
struct BandEntry {
  uint64_t key = 0;
  uint32_t text = 0;
  uint8_t band = 0;  // which of the text's bands (in the padding: still 16 bytes)
  bool operator<(const BandEntry& o) const { return std::tie(key, text) < std::tie(o.key, o.text); }
};
using Buckets = std::vector<BandEntry>;

Buckets bucket(const Sketches& s) {
  Buckets buckets;
  buckets.reserve(s.bands.size() * kBands);
  for (std::size_t t = 0; t < s.bands.size(); ++t)
    for (std::size_t band = 0; band < kBands; ++band)
      buckets.push_back({s.bands[t][band], static_cast<uint32_t>(t), static_cast<uint8_t>(band)});
  std::sort(buckets.begin(), buckets.end());
  return buckets;
}

// Which pairs near_duplicates_within compares: two texts that share a band's bucket and sit at
// most kMaxComparedPerBucket apart in it. A pair that qualifies in several bands is compared
// once, in the lowest of them, which this decides from each text's place in its buckets (4 bytes
// per text and band) instead of a set of the pairs compared so far (about 40 bytes a pair, tens
// of MB for templated tickets, where most pairs share many bands).
class ComparedPairs {
 public:
  ComparedPairs(const Sketches& s, const Buckets& buckets) : s_(s), place_(buckets.size()) {
    for (auto run = buckets.begin(); run != buckets.end();) {
      auto end = run;
      while (end != buckets.end() && end->key == run->key) ++end;
      for (auto it = run; it != end; ++it)
        place_[it->text * kBands + it->band] = static_cast<uint32_t>(it - run);
      run = end;
    }
  }

  // Whether texts a and b qualify in a band below `band` (so were compared there).
  bool compared_below(uint32_t a, uint32_t b, std::size_t band) const {
    for (std::size_t k = 0; k < band; ++k) {
      if (s_.bands[a][k] != s_.bands[b][k]) continue;
      uint32_t pa = place_[a * kBands + k], pb = place_[b * kBands + k];
      if ((pa > pb ? pa - pb : pb - pa) <= kMaxComparedPerBucket) return true;
    }
    return false;
  }

 private:
  const Sketches& s_;
  std::vector<uint32_t> place_;  // text * kBands + band -> the text's place in that bucket
};

// The texts of the bucket of `key`: [first, last) in `buckets`.
std::pair<Buckets::const_iterator, Buckets::const_iterator> bucket_of(const Buckets& buckets,
                                                                      uint64_t key) {
  auto first = std::lower_bound(buckets.begin(), buckets.end(), BandEntry{key, 0});
  auto last = first;
  while (last != buckets.end() && last->key == key) ++last;
  return {first, last};
}

std::size_t find_root(std::vector<std::size_t>& parent, std::size_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

}  // namespace

double shingle_jaccard(std::string_view a, std::string_view b) {
  return jaccard(shingles(a), shingles(b));
}

WithinDuplicates near_duplicates_within(const std::vector<std::string_view>& texts,
                                        const NearDuplicateOptions& options,
                                        std::size_t max_examples) {
  WithinDuplicates out;
  const std::size_t n = texts.size();
  out.redundant.assign(n, false);
  Sketches s = sketch(texts, options.threads);
  Buckets buckets = bucket(s);
  const ComparedPairs compared(s, buckets);
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  std::vector<TextPair> found;
  for (auto run = buckets.begin(); run != buckets.end();) {
    auto end = run;
    while (end != buckets.end() && end->key == run->key) ++end;
    const Buckets::const_iterator members = run;
    const std::size_t size = static_cast<std::size_t>(end - run);
    run = end;
    for (std::size_t i = 1; i < size; ++i) {
      std::size_t first = i > kMaxComparedPerBucket ? i - kMaxComparedPerBucket : 0;
      for (std::size_t j = first; j < i; ++j) {
        uint32_t a = std::min(members[i].text, members[j].text),
                 b = std::max(members[i].text, members[j].text);
        if (compared.compared_below(a, b, members[i].band)) continue;
        double sim = jaccard(s.sets[a], s.sets[b]);
        if (sim < options.similarity) continue;
        found.push_back({a, b, sim});
        std::size_t ra = find_root(parent, a), rb = find_root(parent, b);
        if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);
      }
    }
  }
  out.pairs = found.size();
  std::vector<bool> in_cluster(n, false);
  for (const auto& p : found) in_cluster[p.a] = in_cluster[p.b] = true;
  out.cluster_of.resize(n);
  for (std::size_t t = 0; t < n; ++t) out.cluster_of[t] = find_root(parent, t);
  for (std::size_t t = 0; t < n; ++t) {
    if (!in_cluster[t]) continue;
    if (find_root(parent, t) == t) {
      ++out.clusters;
    } else {
      out.redundant[t] = true;
      ++out.redundant_rows;
    }
  }
  std::sort(found.begin(), found.end(), [](const TextPair& x, const TextPair& y) {
    if (x.similarity != y.similarity) return x.similarity > y.similarity;
    return std::tie(x.a, x.b) < std::tie(y.a, y.b);
  });
  if (found.size() > max_examples) found.resize(max_examples);
  out.examples = std::move(found);
  return out;
}

std::vector<std::optional<TextPair>> near_duplicates_across(
    const std::vector<std::string_view>& reference, const std::vector<std::string_view>& queries,
    const NearDuplicateOptions& options) {
  Sketches ref = sketch(reference, options.threads);
  Sketches query = sketch(queries, options.threads);
  Buckets buckets = bucket(ref);
  std::vector<std::optional<TextPair>> out(queries.size());
  std::vector<uint32_t> candidates;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    candidates.clear();
    for (uint64_t key : query.bands[q]) {
      auto [first, last] = bucket_of(buckets, key);
      std::size_t take = std::min(static_cast<std::size_t>(last - first), kMaxComparedPerBucket);
      for (auto it = first; it != first + static_cast<std::ptrdiff_t>(take); ++it)
        candidates.push_back(it->text);
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (uint32_t r : candidates) {
      double sim = jaccard(ref.sets[r], query.sets[q]);
      if (sim < options.similarity) continue;
      if (!out[q] || sim > out[q]->similarity) out[q] = TextPair{r, q, sim};
    }
  }
  return out;
}

}  // namespace tunecase
