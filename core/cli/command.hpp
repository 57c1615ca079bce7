// Subcommands of the `lmul` tool register themselves here (one .cpp per command).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lmul::cli {

using CommandFn = std::function<int(const std::vector<std::string>& args)>;

struct Command {
  std::string summary; // one line for `lmul --help`
  CommandFn run;
};

std::map<std::string, Command>& commands();

struct RegisterCommand {
  RegisterCommand(const std::string& name, const std::string& summary, CommandFn fn) {
    commands()[name] = Command{summary, std::move(fn)};
  }
};

} // namespace lmul::cli
