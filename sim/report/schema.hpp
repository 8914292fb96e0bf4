// The kinds' reference, from the registry (models/kinds.cpp) and each kind's declared parameters
// (Kind::params()): what `archsim schema` prints, and what docs/topology.md holds between marker
// lines, one part per kind where its section is plus the table of kinds:
//
//   <!-- archsim schema: cache (generated: do not edit by hand) -->
//   ...
//   <!-- end of archsim schema: cache -->
#pragma once

#include <string>

namespace archsim {

// Markdown: the table of every kind, then every kind's parameter table.
std::string schema_markdown();
// One part: "kinds" (the table of kinds) or a kind's name (its parameter table).
std::string schema_part(const std::string& part);
std::string schema_begin(const std::string& part);
std::string schema_end(const std::string& part);

// `text` with every marked part regenerated. Throws ConfigError naming what is missing when a kind
// (or the table of kinds) has no part, or a part names no kind.
std::string regenerate_schema(const std::string& text, const std::string& path);
// Rewrites the markdown file `path` with regenerate_schema. Throws ConfigError when it cannot.
void update_schema(const std::string& path);

}  // namespace archsim
