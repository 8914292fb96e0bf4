#include "sim/config/extends.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>
#include <vector>

#include "sim/config/strict_yaml.hpp"
#include "sim/support/text.hpp"

namespace archsim {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxChain = 16;

struct Level {
  std::string path;  // as named: the file given, or its base's path joined to the file's folder
  YAML::Node root;
  int origin = 0;
};

std::string canonical(const std::string& path) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(path, ec);
  return ec ? fs::absolute(path).lexically_normal().string() : c.string();
}

[[noreturn]] void fail_in(const std::string& path, const YAML::Node& node, const std::string& message) {
  YAML::Mark m = node.Mark();
  Location loc = m.is_null() ? Location{} : Location{m.line + 1, m.column + 1};
  throw ConfigError(fmt::format("{}: error: {}", format_where(path, loc), message));
}

// Removes `extends:` from a level's root and returns its value (an undefined node when absent).
YAML::Node take_extends(const Level& level) {
  YAML::Node value(YAML::NodeType::Undefined);
  if (!level.root.IsMap()) return value;
  int found = 0;
  for (auto it = level.root.begin(); it != level.root.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == "extends") {
      if (found++) fail_in(level.path, it->first, "duplicate key 'extends'; a topology extends one file");
      value = it->second;
    }
  if (found) {
    YAML::Node root = level.root;
    root.remove("extends");
  }
  return value;
}

// The file that `value` (the `extends:` of `level`) names, checked: a file, and not one of `chain`.
std::string resolve(const Level& level, const YAML::Node& value, const std::vector<Level>& chain) {
  if (!value.IsScalar() || value.Scalar().empty())
    fail_in(level.path, value, "extends must be the path of a topology file, relative to this one (extends: base.yaml)");
  const std::string& named = value.Scalar();
  fs::path dir = fs::path(level.path).parent_path();
  std::string path = fs::path(named).is_absolute() ? named : (dir / named).lexically_normal().string();
  for (const auto& l : chain)
    if (canonical(l.path) == canonical(path)) {
      std::string cycle;
      for (const auto& c : chain) cycle += c.path + " extends ";
      fail_in(level.path, value, fmt::format("extends '{}' makes a cycle: {}{}; a base cannot extend the files built "
                                             "on it",
                                             named, cycle, path));
    }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    fail_in(level.path, value, fmt::format("extends '{}': {} is not a file (the path is relative to the file that "
                                           "extends it)",
                                           named, path));
  if (chain.size() >= kMaxChain)
    fail_in(level.path, value, fmt::format("extends '{}': more than {} files in a chain of extends", named, kMaxChain));
  return path;
}

// `over`'s keys merged into `base`, in place: the base's keys keep their order and the new ones
// follow, as a reader of the two files would expect them listed.
void merge_into(const Source& src, YAML::Node base, const YAML::Node& over) {
  for (auto it = over.begin(); it != over.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      base.force_insert(key, value);  // the loader refuses it, at its line
      continue;
    }
    const std::string& name = key.Scalar();
    YAML::Node existing(YAML::NodeType::Undefined);
    std::vector<std::string> keys;
    for (auto b = base.begin(); b != base.end(); ++b)
      if (b->first.IsScalar()) {
        if (b->first.Scalar() == name) existing.reset(b->second);
        keys.push_back(b->first.Scalar());
      }
    if (value.IsNull()) {
      if (!existing.IsDefined()) {
        std::string hint = nearest(name, keys);
        src.fail(key, fmt::format("'{}: ~' removes a key of the base, and the base has no '{}' here{}", name, name,
                                  hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
      }
      base.remove(name);
    } else if (existing.IsDefined() && existing.IsMap() && value.IsMap()) {
      merge_into(src, existing, value);
    } else if (existing.IsDefined()) {
      base[name] = value;
    } else {
      base.force_insert(key, value);
    }
  }
}

}  // namespace

YAML::Node merge_extended(Source& src, YAML::Node root) {
  std::vector<Level> chain{{src.path(), root, 0}};
  for (YAML::Node value = take_extends(chain.back()); value.IsDefined(); value = take_extends(chain.back())) {
    std::string path = resolve(chain.back(), value, chain);
    Source base_src(path);
    YAML::Node base = read_yaml_file(path, base_src, kTopologyDocument);
    if (!base.IsMap())
      base_src.fail(base, "a topology that another extends must be a map of keys to values (name, components, ...)");
    chain.push_back({path, base, 0});
  }
  if (chain.size() == 1) return root;
  for (size_t k = 1; k < chain.size(); ++k) chain[k].origin = src.add_file(chain[k].path);
  // The deepest base first: where a derived file's value replaced a base's, the later record wins.
  for (size_t k = chain.size(); k-- > 0;) src.add_nodes(chain[k].root, chain[k].origin);
  YAML::Node merged = chain.back().root;
  for (size_t k = chain.size() - 1; k-- > 0;) {
    if (!chain[k].root.IsMap()) src.fail(chain[k].root, "a topology that extends another must be a map of keys to values");
    merge_into(src, merged, chain[k].root);
  }
  return merged;
}

std::string merged_text(const Source& src, const YAML::Node& root) {
  std::string from;
  for (size_t k = 1; k < src.origins().size(); ++k)
    if (src.origins()[k].rfind("--set ", 0) != 0) from += (from.empty() ? "" : ", ") + src.origins()[k];
  YAML::Emitter out;
  out << YAML::Comment(fmt::format("{} with the files it extends ({}) merged in: the document it ran", src.path(), from))
      << YAML::Newline << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace archsim
