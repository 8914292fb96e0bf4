// Folders that archsim writes into (run --out, experiment --out, figures, reports, history files,
// Slurm scripts) are made here, like `mkdir -p`.
#pragma once

#include <string>

namespace archsim {

// Makes `path` and every missing parent, and checks that it can be written. A folder that cannot
// be made or written (a regular file in the way, no permission, a read-only file system) is bad
// input: a ConfigError of one line naming `what` (the option, such as "run --out"), the path and
// the system's reason. Folders this call made before failing are removed again, so a failure
// leaves nothing behind.
void make_output_dir(const std::string& path, const std::string& what);

// Refuses as make_output_dir does, and makes nothing: for a folder that a later step makes.
void check_output_dir(const std::string& path, const std::string& what);

// The same as make_output_dir for the folder a file goes into (the file itself is not created).
void make_parent_dir(const std::string& file, const std::string& what);

}  // namespace archsim
