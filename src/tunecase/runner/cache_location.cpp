#include "tunecase/runner/cache_location.h"

#include <cstdlib>

namespace tunecase {

std::filesystem::path resolve_cache_file(const CacheChoice& choice,
                                         const std::filesystem::path& config_file) {
  if (choice.disabled) return {};
  if (!choice.file.empty()) return choice.file;
  if (!config_file.empty()) {
    std::filesystem::path folder = config_file.parent_path();
    if (folder.empty()) folder = ".";
    return folder / ".tunecase" / "cache.sqlite";
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "tunecase" / "cache.sqlite";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "tunecase" / "cache.sqlite";
  return {};
}

}  // namespace tunecase
