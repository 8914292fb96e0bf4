#include "sim/report/output_dir.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "sim/support/location.hpp"
#include "sim/support/text.hpp"

namespace archsim {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void refuse(const std::string& what, const std::string& path, const std::string& reason) {
  throw ConfigError(fmt::format("archsim {}: error: cannot create the folder {}: {}; choose a folder that can be "
                                "created and written",
                                what, path, reason));
}

// The walk shared by both: refuses what cannot be made; makes the missing levels when `create`.
void prepare(const std::string& path, const std::string& what, bool create) {
  if (path.empty()) refuse(what, "\"\"", "the path is empty");
  // The levels that do not exist yet, innermost first; the walk stops at the first one that does.
  std::vector<fs::path> missing;
  fs::path existing;
  for (fs::path p = fs::path(path).lexically_normal(); !p.empty(); p = p.parent_path()) {
    if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) continue;  // "a/b/" names "a/b"
    struct stat st{};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) refuse(what, path, fmt::format("{} is a file, not a folder", p.string()));
      existing = p;
      break;
    }
    if (errno != ENOENT && errno != ENOTDIR) refuse(what, path, fmt::format("{}: {}", p.string(), std::strerror(errno)));
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  if (existing.empty()) existing = ".";
  // Creating below a folder needs write permission on it; checking first leaves nothing behind.
  if (::access(existing.c_str(), W_OK | X_OK) != 0)
    refuse(what, path, fmt::format("{}: {}", existing.string(), std::strerror(errno)));
  if (!create) return;
  for (size_t i = missing.size(); i-- > 0;) {
    if (::mkdir(missing[i].c_str(), 0755) == 0 || errno == EEXIST) continue;
    int err = errno;
    for (size_t j = i + 1; j < missing.size(); ++j) ::rmdir(missing[j].c_str());
    refuse(what, path, fmt::format("{}: {}", missing[i].string(), std::strerror(err)));
  }
}

}  // namespace

void make_output_dir(const std::string& path, const std::string& what) { prepare(path, what, true); }

void check_output_dir(const std::string& path, const std::string& what) { prepare(path, what, false); }

void make_parent_dir(const std::string& file, const std::string& what) {
  fs::path parent = fs::path(file).parent_path();
  make_output_dir(parent.empty() ? "." : parent.string(), what);
}

}  // namespace archsim
