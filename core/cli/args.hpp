// A small option parser shared by the subcommands: --name value, --name=value and --flag.
// Unknown options and malformed values throw std::invalid_argument naming the option.
#pragma once

#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace lmul::cli {

// The whole of `text` as a decimal integer (long long) or a number (double); false if it is
// empty, has anything else in it, or does not fit.
template <class T> bool parse_whole(const std::string& text, T& value) {
  static_assert(std::is_same_v<T, long long> || std::is_same_v<T, double>);
  std::size_t used = 0;
  try {
    if constexpr (std::is_same_v<T, long long>)
      value = std::stoll(text, &used);
    else
      value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size();
}

// printf into a std::string, for the numbers the commands print.
template <class... T> std::string format(const char* fmt, T... values) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, values...);
  return buf;
}

class Args {
public:
  // `flags` take no value; `options` take one.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
       const std::set<std::string>& options) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0) {
        positional_.push_back(a);
        continue;
      }
      std::string value;
      const auto eq = a.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
      const std::string name = a.substr(2);
      if (flags.count(name) && !inline_value) {
        values_[name] = "1";
      } else if (options.count(name)) {
        if (!inline_value) {
          if (i + 1 >= argv.size())
            throw std::invalid_argument("option --" + name + " needs a value");
          value = argv[++i];
        }
        values_[name] = value;
      } else {
        throw std::invalid_argument("unknown option " + argv[i]);
      }
    }
  }

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const {
    const auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
  }
  long long get_int(const std::string& name, long long fallback, long long lo, long long hi) const {
    if (!has(name))
      return fallback;
    const std::string v = get(name);
    long long x = 0;
    if (!parse_whole(v, x) || x < lo || x > hi)
      throw std::invalid_argument("--" + name + " must be an integer in " + std::to_string(lo) +
                                  ".." + std::to_string(hi) + ", got '" + v + "'");
    return x;
  }
  double get_double(const std::string& name, double fallback, double lo, double hi) const {
    if (!has(name))
      return fallback;
    const std::string v = get(name);
    double x = 0;
    if (!parse_whole(v, x) || !(x >= lo && x <= hi))
      throw std::invalid_argument("--" + name + " must be a number in [" + shortest(lo) + ", " +
                                  shortest(hi) + "], got '" + v + "'");
    return x;
  }
  const std::vector<std::string>& positional() const { return positional_; }

private:
  // 1e-12 rather than std::to_string's "0.000000".
  static std::string shortest(double x) { return format("%g", x); }
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

} // namespace lmul::cli
