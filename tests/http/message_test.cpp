#include "tunecase/http/message.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tunecase::http {
namespace {

TEST(Headers, FindIgnoresCaseOfNames) {
  Headers headers;
  headers.add("Content-Type", "application/json");
  headers.add("X-Api-Key", "k1");
  EXPECT_EQ(headers.get("content-type"), "application/json");
  EXPECT_EQ(headers.get("X-API-KEY"), "k1");
  EXPECT_TRUE(headers.contains("x-api-key"));
  EXPECT_FALSE(headers.find("authorization").has_value());
  EXPECT_EQ(headers.get("authorization"), "");
}

TEST(Headers, FirstValueWinsAndSetReplacesEveryField) {
  Headers headers;
  headers.add("Accept", "a");
  headers.add("accept", "b");
  EXPECT_EQ(headers.get("ACCEPT"), "a");
  headers.set("Accept", "c");
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.get("accept"), "c");
}

TEST(Request, QueryParamsArePercentDecoded) {
  Request request;
  request.query = "arm=b&text=I+was%20charged%2C%20twice&flag&arm=c";
  EXPECT_EQ(request.query_param("arm"), "b");
  EXPECT_EQ(request.query_param("text"), "I was charged, twice");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_FALSE(request.query_param("missing").has_value());
}

TEST(Request, MalformedEscapesAreKeptAsSent) {
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(percent_decode("%41%62"), "Ab");
}

TEST(Response, JsonAndTextSetTheirContentType) {
  EXPECT_EQ(Response::json(201, "{}").content_type, "application/json");
  EXPECT_EQ(Response::json(201, "{}").status, 201);
  EXPECT_EQ(Response::text(200, "ok").content_type, "text/plain; charset=utf-8");
}

TEST(DefaultErrorPage, IsJsonEvenWhenTheMessageQuotesInvalidUtf8) {
  Response page = default_error_page(400, std::string("bad byte \xff here"));
  EXPECT_EQ(page.status, 400);
  auto body = nlohmann::json::parse(page.body);
  EXPECT_EQ(body["error"]["status"], 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("bad byte"), std::string::npos);
}

}  // namespace
}  // namespace tunecase::http
