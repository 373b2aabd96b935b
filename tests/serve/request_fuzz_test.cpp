// Nothing a client sends crashes the gateway: random JSON-ish bodies through the parsers, and
// through a live server, always give a 2xx or a 4xx with a message.

#include <random>

#include "gateway_fixture.h"
#include "tunecase/serve/request_body.h"

namespace tunecase::serve::testing {
namespace {

// Bodies built from JSON fragments, valid ones mutated, and raw bytes (invalid UTF-8 included).
class BodyGenerator {
 public:
  explicit BodyGenerator(uint64_t seed) : rng_(seed) {}

  std::string next() {
    switch (pick(4)) {
      case 0:
        return fragments(1 + pick(8));
      case 1:
        return mutate(valid());
      case 2:
        return valid();
      default:
        return raw(pick(64));
    }
  }

 private:
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  std::string valid() {
    static const char* bodies[] = {
        R"({"text":"the courier is late","id":"T-1","segment":"smb"})",
        R"({"text":"refund please","id":7,"metadata":{"a":[1,2,{"b":null}]}})",
        R"({"id":"T-1","label":"shipping"})",
        R"({"prediction_id":"0123456789abcdef0123456789abcdef","label":"login"})"};
    return bodies[pick(4)];
  }

  std::string fragments(std::size_t n) {
    static const char* parts[] = {"{",      "}",          "[",     "]",           "\"text\"",
                                  "\"id\"", "\"label\"",  ":",     ",",           "null",
                                  "true",   "1e999",      "-0",    "\"\\u0000\"", "\"\\ud800\"",
                                  "\"é\"",  "{\"text\":", "\"x\"", " ",           "\n"};
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += parts[pick(std::size(parts))];
    return out;
  }

  std::string mutate(std::string body) {
    for (std::size_t i = 0, n = 1 + pick(4); i < n && !body.empty(); ++i) {
      std::size_t at = pick(body.size());
      switch (pick(3)) {
        case 0:
          body[at] = static_cast<char>(pick(256));
          break;
        case 1:
          body.erase(at, 1);
          break;
        default:
          body.insert(at, 1, "{}[]\",:\\"[pick(8)]);
      }
    }
    return body;
  }

  std::string raw(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(pick(256)));
    return out;
  }

  std::mt19937_64 rng_;
};

TEST(RequestFuzz, ParsersNeverThrowAndAnswerOnly4xxErrors) {
  BodyGenerator bodies(20261130);
  std::vector<std::string> labels = {"billing", "login", "shipping"};
  for (int i = 0; i < 20000; ++i) {
    std::string body = bodies.next();
    auto c = parse_classify(body);
    if (auto* e = std::get_if<BodyError>(&c)) {
      EXPECT_TRUE(e->status == 400 || e->status == 422) << body;
      EXPECT_FALSE(e->message.empty());
    } else {
      EXPECT_FALSE(std::get<ClassifyBody>(c).text.empty());
    }
    auto f = parse_feedback(body, labels);
    if (auto* e = std::get_if<BodyError>(&f)) {
      EXPECT_TRUE(e->status == 400 || e->status == 422);
    }
  }
}

TEST_F(GatewayTest, RandomBodiesNeverCrashTheServer) {
  start("[pilot]\nchampion = \"local-linear\"\nchallenger = \"local-logreg\"\nshare = 0.5\n");
  BodyGenerator bodies(7);
  // A connection per request: a crash shows as a refused connection, and one request's
  // answer cannot hide behind another's.
  for (int i = 0; i < 400; ++i) {
    std::string path = i % 2 ? "/v1/classify" : "/v1/feedback";
    std::string body = bodies.next();
    Reply r = post(path, body);
    ASSERT_NE(r.status, 0) << r.error << " after " << i << " requests, body "
                           << nlohmann::json(body).dump(-1, ' ', true,
                                                        nlohmann::json::error_handler_t::replace);
    EXPECT_TRUE((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500))
        << r.status << " " << r.body;
  }
  EXPECT_EQ(get("/v1/pilot").status, 200);
}

}  // namespace
}  // namespace tunecase::serve::testing
