#include "tunecase/optimize/search_data.h"

#include <random>
#include <stdexcept>

#include "tunecase/data/shuffle.h"

namespace tunecase {

const Examples& SealedTest::open() {
  if (opened_)
    throw std::logic_error("the test split is scored once, for the winner only; it was opened");
  opened_ = true;
  return test_;
}

SplitForSearch split_for_search(PreparedData data, uint64_t seed) {
  std::mt19937_64 engine(seed);
  seeded_shuffle(data.splits.dev, engine);
  return {
      SearchData{std::move(data.splits.train), std::move(data.splits.dev), std::move(data.labels)},
      SealedTest(std::move(data.splits.test))};
}

}  // namespace tunecase
