// `lmul`: the native command line tool. Subcommands live in core/cli/cmd_*.cpp.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "command.hpp"

namespace lmul::cli {
std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> registry;
  return registry;
}
} // namespace lmul::cli

namespace {
void usage(FILE* out) {
  std::fprintf(
      out,
      "usage: lmul <command> [options]   (lmul <command> --help for its options)\n\ncommands:\n");
  for (const auto& [name, cmd] : lmul::cli::commands())
    std::fprintf(out, "  %-8s %s\n", name.c_str(), cmd.summary.c_str());
}
} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  const auto it = lmul::cli::commands().find(name);
  if (it == lmul::cli::commands().end()) {
    std::fprintf(stderr, "lmul: unknown command '%s'\n\n", name.c_str());
    usage(stderr);
    return 2;
  }
  try {
    return it->second.run(std::vector<std::string>(argv + 2, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lmul %s: error: %s\n", name.c_str(), e.what());
    return 1;
  }
}
