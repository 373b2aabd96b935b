#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tunecase/data/example.h"

namespace tunecase::testing {

inline std::filesystem::path dataset(std::string_view name) {
  return std::filesystem::path(TUNECASE_FIXTURES) / "datasets" / name;
}

// A folder under the system temp dir, unique per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (std::string("tunecase_data_") + info->test_suite_name() + "_" + info->name() + "_" +
             std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path write(const std::string& name, std::string_view bytes) const {
    auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline Example make_example(std::string text, std::string label, std::string time = "") {
  Example e;
  e.text = std::move(text);
  e.label = std::move(label);
  e.time = std::move(time);
  e.id = e.text;
  return e;
}

}  // namespace tunecase::testing
