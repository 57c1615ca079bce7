#include "lmul/plan.hpp"

#include <optional>
#include <stdexcept>

#include "lmul/multiply.hpp"

namespace lmul {

namespace {

// Where in the plan text a token is, for error messages that point at it.
struct Token {
  std::string text;
  std::size_t at = 0; // offset in the whole plan
};

[[noreturn]] void fail(const std::string& plan, const Token& t, const std::string& what) {
  const std::size_t width = t.text.empty() ? 1 : t.text.size();
  throw std::invalid_argument("plan '" + plan + "': " + what + " (at character " +
                              std::to_string(t.at + 1) + ")\n  " + plan + "\n  " +
                              std::string(t.at, ' ') + std::string(width, '^'));
}

std::vector<Token> split(const std::string& s, char sep, std::size_t offset) {
  std::vector<Token> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back({s.substr(start, i - start), offset + start});
      start = i + 1;
    }
  return out;
}

// Parses digits only ("12"), within [lo, hi]; nullopt otherwise.
std::optional<int> whole(const std::string& s, int lo, int hi) {
  if (s.empty() || s.size() > 3)
    return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi)
    return std::nullopt;
  return v;
}

struct Preset {
  const char* name;
  int E, M;
};
constexpr Preset kPresets[] = {
    {"fp32", 8, 23}, {"bf16", 8, 7}, {"fp16", 5, 10}, {"e5m2", 5, 2}, {"e4m3", 4, 3}};

MulSpec parse_spec_token(const std::string& plan, const Token& spec, const MulSpec& defaults) {
  if (spec.text.empty())
    fail(plan, spec, "a multiplier is missing, e.g. lmul:E8M3 or exact");
  const std::vector<Token> parts = split(spec.text, ':', spec.at);
  MulSpec s = defaults;
  try {
    s.method = parse_method(parts[0].text);
  } catch (const std::invalid_argument&) {
    fail(plan, parts[0], "unknown method '" + parts[0].text + "'; methods are " + method_names());
  }
  bool have_format = false, have_rounding = false;
  int E = defaults.format.E(), M = defaults.format.M();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const Token& p = parts[i];
    if (p.text == "nearest" || p.text == "truncate") {
      if (have_rounding)
        fail(plan, p, "the rounding is given twice");
      s.rounding = parse_rounding(p.text);
      have_rounding = true;
      continue;
    }
    if (have_format)
      fail(plan, p, "the format is given twice");
    have_format = true;
    bool preset = false;
    for (const Preset& q : kPresets)
      if (p.text == q.name) {
        E = q.E, M = q.M, preset = true;
      }
    if (preset)
      continue;
    const std::string& t = p.text;
    const std::size_t m = t.find('M');
    std::optional<int> e_value = E, m_value;
    if (!t.empty() && t[0] == 'E' && m != std::string::npos) {
      e_value = whole(t.substr(1, m - 1), FloatFormat::kMinE, FloatFormat::kMaxE);
      m_value = whole(t.substr(m + 1), FloatFormat::kMinM, FloatFormat::kMaxM);
    } else if (!t.empty() && t[0] == 'M') {
      m_value = whole(t.substr(1), FloatFormat::kMinM, FloatFormat::kMaxM);
    } else {
      fail(plan, p,
           "'" + t +
               "' is neither a format (E<2..8>M<1..23>, M<1..23>, fp32, bf16, fp16, e5m2, "
               "e4m3) nor a rounding (nearest, truncate)");
    }
    if (!e_value || !m_value)
      fail(plan, p, "bad format '" + t + "': E must be 2..8 and M 1..23, e.g. E8M3 or M3");
    E = *e_value, M = *m_value;
  }
  s.format = FloatFormat(E, M);
  return s;
}

} // namespace

MulSpec make_spec(const SpecFields& f, const MulSpec& base) {
  MulSpec s = base;
  if (f.method)
    s.method = parse_method(*f.method);
  if (f.rounding)
    s.rounding = parse_rounding(*f.rounding);
  if (f.E || f.M)
    s.format = FloatFormat(f.E.value_or(base.format.E()), f.M.value_or(base.format.M()));
  return s;
}

MulPlan make_plan(const PlanRequest& r, const std::vector<std::string>& layer_names) {
  const MulSpec base = make_spec(r.everywhere);
  if (r.text)
    return parse_plan(*r.text, layer_names, base);
  MulPlan plan(base);
  if (r.linear)
    plan.linear = make_spec(*r.linear, base);
  if (r.attention)
    plan.attention = make_spec(*r.attention, base);
  for (const auto& [layer, fields] : r.layers) {
    if (layer >= layer_names.size())
      throw std::invalid_argument("plan: there is no layer " + std::to_string(layer) +
                                  "; this network's layers are 0.." +
                                  std::to_string(layer_names.size() - 1));
    plan.layers[layer] = make_spec(fields, base);
  }
  return plan;
}

MulSpec parse_spec(const std::string& text, const MulSpec& defaults) {
  return parse_spec_token(text, Token{text, 0}, defaults);
}

MulPlan parse_plan(const std::string& text, const std::vector<std::string>& layer_names,
                   const MulSpec& defaults) {
  std::optional<MulSpec> all, linear, attention;
  std::map<std::size_t, MulSpec> layers;
  if (text.empty())
    fail(text, Token{"", 0}, "the plan is empty; give e.g. lmul:M3 or linear=exact,attention=lmul");
  for (const Token& entry : split(text, ',', 0)) {
    const std::size_t eq = entry.text.find('=');
    if (eq == std::string::npos) {
      if (all)
        fail(text, entry, "'everywhere' is given twice");
      all = parse_spec_token(text, entry, defaults);
      continue;
    }
    const Token key{entry.text.substr(0, eq), entry.at};
    const Token spec{entry.text.substr(eq + 1), entry.at + eq + 1};
    auto set_once = [&](std::optional<MulSpec>& slot) {
      if (slot)
        fail(text, key, "'" + key.text + "' is given twice");
      slot = parse_spec_token(text, spec, defaults);
    };
    if (key.text == "all") {
      set_once(all);
    } else if (key.text == "linear") {
      set_once(linear);
    } else if (key.text == "attention") {
      set_once(attention);
    } else {
      std::optional<std::size_t> index;
      if (key.text.rfind("layer", 0) == 0 && key.text.size() > 5) {
        if (const auto n = whole(key.text.substr(5), 0, 999))
          index = std::size_t(*n);
      }
      for (std::size_t k = 0; !index && k < layer_names.size(); ++k)
        if (layer_names[k] == key.text)
          index = k;
      if (!index) {
        std::string names;
        for (std::size_t k = 0; k < layer_names.size() && k < 8; ++k)
          names += (k ? ", " : "") + layer_names[k];
        if (layer_names.size() > 8)
          names += ", ...";
        fail(text, key,
             "unknown key '" + key.text + "'; keys are all, linear, attention, layer0..layer" +
                 std::to_string(layer_names.empty() ? 0 : layer_names.size() - 1) +
                 (names.empty() ? "" : " or a layer name (" + names + ")"));
      }
      if (*index >= layer_names.size())
        fail(text, key,
             "there is no layer " + std::to_string(*index) + "; this network's layers are 0.." +
                 std::to_string(layer_names.size() - 1));
      if (layers.count(*index))
        fail(text, key, "layer " + std::to_string(*index) + " is given twice");
      layers[*index] = parse_spec_token(text, spec, defaults);
    }
  }
  MulPlan plan(all.value_or(defaults));
  if (linear)
    plan.linear = *linear;
  if (attention)
    plan.attention = *attention;
  plan.layers = layers;
  return plan;
}

std::string spec_text(const MulSpec& spec) {
  if (spec.method == Method::exact)
    return "exact";
  return std::string(to_string(spec.method)) + ":" + spec.format.name() + ":" +
         to_string(spec.rounding);
}

std::string to_string(const MulPlan& plan) {
  std::string s = plan.linear == plan.attention ? spec_text(plan.linear)
                                                : "linear=" + spec_text(plan.linear) +
                                                      ",attention=" + spec_text(plan.attention);
  for (const auto& [layer, spec] : plan.layers)
    s += ",layer" + std::to_string(layer) + "=" + spec_text(spec);
  return s;
}

} // namespace lmul
