// [monitor] keep_texts: the gateway stores request texts for the monitor's input-drift
// detectors only when told to.
#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "gateway_fixture.h"
#include "tunecase/store/store.h"

namespace tunecase::serve::testing {
namespace {

std::vector<TextSample> kept_texts(const std::filesystem::path& store) {
  return open_store(store.string())->texts(0, std::numeric_limits<int64_t>::max(), 100);
}

TEST_F(GatewayTest, KeepTextsStoresEachRequestTextForTheMonitor) {
  start("[monitor]\nkeep_texts = true\n");
  classify({{"text", "the courier is late"}, {"id", "K-1"}});
  classify({{"text", "two-factor code does not arrive"}, {"id", "K-2"}});
  gateway_->stop();
  gateway_.reset();
  auto texts = kept_texts(dir_ / "store.db");
  ASSERT_EQ(texts.size(), 2u);
  // Both may carry the same millisecond, so their order is not part of the contract here.
  std::set<std::string> got = {texts[0].text, texts[1].text};
  EXPECT_EQ(got, (std::set<std::string>{"the courier is late", "two-factor code does not arrive"}));
  EXPECT_EQ(texts[0].approach, "local-linear");
}

// With [privacy] redact set, the kept text is the redacted one: the store (on PostgreSQL, maybe
// another machine) holds no value the rules find. It held the text as received.
TEST_F(GatewayTest, KeptTextsAreRedactedWhenThePrivacyTableSaysSo) {
  start("[monitor]\nkeep_texts = true\n\n[privacy]\nredact = [\"email\", \"card\"]\n");
  classify(
      {{"text", "refund to maria.schmidt@example.com, card 4111 1111 1111 1111"}, {"id", "P-1"}});
  gateway_->stop();
  gateway_.reset();
  auto texts = kept_texts(dir_ / "store.db");
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0].text.find("maria.schmidt"), std::string::npos) << texts[0].text;
  EXPECT_EQ(texts[0].text.find("4111"), std::string::npos) << texts[0].text;
  EXPECT_NE(texts[0].text.find("refund to "), std::string::npos) << texts[0].text;
}

TEST_F(GatewayTest, WithoutKeepTextsNoTextIsStored) {
  start();
  classify({{"text", "the courier is late"}, {"id", "K-1"}});
  gateway_->stop();
  gateway_.reset();
  EXPECT_TRUE(kept_texts(dir_ / "store.db").empty());
}

}  // namespace
}  // namespace tunecase::serve::testing
