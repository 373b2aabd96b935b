#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tunecase/data/example.h"
#include "tunecase/data/prepare.h"

namespace tunecase {

// Everything the prompt search may read: train (the only source of prompt examples) and dev in
// one fixed seeded order, whose first n items form each round's nested sample. There is no test
// split in here, so no search code can reach it.
struct SearchData {
  Examples train;
  Examples dev_order;
  std::vector<std::string> labels;
};

// The test split, sealed until the search is over: open() hands it out once and throws
// std::logic_error on a second call, so the winner is the only thing ever scored on it.
class SealedTest {
 public:
  explicit SealedTest(Examples test) : test_(std::move(test)) {}
  const Examples& open();
  bool opened() const { return opened_; }
  std::size_t size() const { return test_.size(); }  // counting is not reading

 private:
  Examples test_;
  bool opened_ = false;
};

struct SplitForSearch {
  SearchData search;
  SealedTest test;
};

// Moves the prepared splits apart: train and the shuffled dev (seeded, platform independent)
// for the search, the test split sealed.
SplitForSearch split_for_search(PreparedData data, uint64_t seed);

}  // namespace tunecase
