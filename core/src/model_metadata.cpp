// The metadata schema of model_metadata.hpp: one table of keys, read and written here only.
#include "lmul/model_metadata.hpp"

#include "lmul/decimal.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <utility>

namespace lmul {

namespace {

using Map = std::map<std::string, std::string>;

const char* const kArchitectures[] = {"mlp", "vit"};

// The free-text fields, each with its key.
const std::pair<const char*, std::string ModelMetadata::*> kTextFields[] = {
    {"recipe", &ModelMetadata::recipe},
    {"sizes", &ModelMetadata::sizes},
    {"format", &ModelMetadata::format},
    {"trainer", &ModelMetadata::trainer},
    {"train_loss", &ModelMetadata::train_loss},
    {"test_accuracy_exact", &ModelMetadata::test_accuracy_exact},
    {"test_accuracy_at_spec", &ModelMetadata::test_accuracy_at_spec},
    {"base_test_accuracy_exact", &ModelMetadata::base_test_accuracy_exact},
    {"weights", &ModelMetadata::weights},
};

// Every other key the schema reads or writes.
const char* const kTypedKeys[] = {
    "arch",       "method",           "E",      "M",     "rounding", "spec", "plan",
    "base_model", "base_fingerprint", "epochs", "batch", "lr",       "seed", "train_images",
    "holdout"};

bool schema_key(const std::string& key) {
  for (const char* k : kTypedKeys)
    if (key == k)
      return true;
  for (const auto& text : kTextFields)
    if (key == text.first)
      return true;
  return false;
}

// The holdout's count: cmd_train wrote "last N training images not trained on" before it wrote
// the number alone.
std::string holdout_count(const std::string& value) {
  const std::string start = "last ", end = " training images not trained on";
  if (value.size() > start.size() + end.size() && value.compare(0, start.size(), start) == 0 &&
      value.compare(value.size() - end.size(), end.size(), end) == 0)
    return value.substr(start.size(), value.size() - start.size() - end.size());
  return value;
}

[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& why) {
  throw std::invalid_argument("model metadata: '" + key + "' is '" + value + "', " + why);
}

[[noreturn]] void missing(const std::string& key, const char* group) {
  throw std::invalid_argument("model metadata: '" + key + "' is missing (" + group +
                              " go together)");
}

uint64_t parse_whole(const std::string& key, const std::string& value, uint64_t lo, uint64_t hi) {
  bool digits = !value.empty() && value.size() <= 20;
  for (char c : value)
    digits = digits && c >= '0' && c <= '9';
  errno = 0;
  const unsigned long long v = digits ? std::strtoull(value.c_str(), nullptr, 10) : 0;
  if (!digits || errno == ERANGE || v < lo || v > hi)
    bad_value(key, value,
              "not a whole number " +
                  (hi == std::numeric_limits<uint64_t>::max()
                       ? ">= " + std::to_string(lo)
                       : "in " + std::to_string(lo) + ".." + std::to_string(hi)));
  return v;
}

std::size_t parse_count(const std::string& key, const std::string& value, std::size_t lo) {
  return std::size_t(parse_whole(key, value, lo, std::numeric_limits<std::size_t>::max()));
}

double parse_positive(const std::string& key, const std::string& value) {
  const auto v = parse_double(value);
  if (!v || !std::isfinite(*v) || !(*v > 0))
    bad_value(key, value, "not a positive number");
  return *v;
}

template <class Parse> auto parsed(const std::string& key, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    bad_value(key, value, e.what());
  }
}

void check_arch(const std::string& arch) {
  for (const char* known : kArchitectures)
    if (arch == known)
      return;
  bad_value("arch", arch, "not one of 'mlp', 'vit'");
}

} // namespace

std::map<std::string, std::string> ModelMetadata::to_map() const {
  check_arch(arch);
  for (const auto& entry : other)
    if (schema_key(entry.first)) // it would be read back as that field
      throw std::invalid_argument("model metadata: '" + entry.first +
                                  "' is a field of the schema, not one of the other keys");
  Map map = other;
  auto put = [&](const std::string& key, const std::string& value) { map[key] = value; };
  for (const auto& [key, field] : kTextFields)
    if (!(this->*field).empty())
      put(key, this->*field);
  if (arch != "mlp")
    put("arch", arch);
  if (tuned) {
    put("method", to_string(tuned->method));
    put("E", std::to_string(tuned->format.E()));
    put("M", std::to_string(tuned->format.M()));
    put("rounding", to_string(tuned->rounding));
    put("spec", tuned->describe());
  }
  if (!tuned_plan.empty())
    put("plan", tuned_plan);
  if (!base_model.empty())
    put("base_model", base_model);
  if (!base_fingerprint.empty())
    put("base_fingerprint", base_fingerprint);
  if (training) {
    put("epochs", std::to_string(training->epochs));
    put("batch", std::to_string(training->batch));
    put("lr", shortest_decimal(training->lr));
    put("seed", std::to_string(training->seed));
    put("train_images", std::to_string(training->train_images));
    if (training->holdout)
      put("holdout", std::to_string(training->holdout));
  }
  return map;
}

ModelMetadata ModelMetadata::from_map(const std::map<std::string, std::string>& map,
                                      std::vector<std::string>* problems) {
  ModelMetadata md;
  md.other = map;
  // Removes and returns the value of `key`, if present.
  auto take = [&](const std::string& key) -> std::optional<std::string> {
    const auto it = md.other.find(key);
    if (it == md.other.end())
      return std::nullopt;
    std::string value = std::move(it->second);
    md.other.erase(it);
    return value;
  };
  // Reads one group of keys; with `problems`, a malformed group is left out instead (its keys
  // stay in `other` as written) and the reason is recorded.
  auto group = [&](std::initializer_list<const char*> keys, auto read) {
    try {
      read();
    } catch (const std::invalid_argument& e) {
      if (!problems)
        throw;
      problems->push_back(e.what());
      for (const char* key : keys)
        if (const auto it = map.find(key); it != map.end())
          md.other[key] = it->second;
    }
  };

  group({"arch"}, [&] {
    if (const auto arch = take("arch")) {
      check_arch(*arch);
      md.arch = *arch;
    }
  });

  group({"method", "E", "M", "rounding", "spec"}, [&] {
    const auto method = take("method"), E = take("E"), M = take("M"), rounding = take("rounding");
    take("spec"); // written for people; method, E, M and rounding say the same
    if (!(method || E || M || rounding))
      return;
    const char* keys = "method, E, M and rounding";
    for (const auto& [key, value] : {std::pair{"method", &method}, std::pair{"E", &E},
                                     std::pair{"M", &M}, std::pair{"rounding", &rounding}})
      if (!*value)
        missing(key, keys);
    MulSpec spec;
    spec.method = parsed("method", *method, [](const std::string& v) { return parse_method(v); });
    spec.rounding =
        parsed("rounding", *rounding, [](const std::string& v) { return parse_rounding(v); });
    spec.format = FloatFormat(int(parse_whole("E", *E, FloatFormat::kMinE, FloatFormat::kMaxE)),
                              int(parse_whole("M", *M, FloatFormat::kMinM, FloatFormat::kMaxM)));
    md.tuned = spec;
  });
  if (const auto plan = take("plan"))
    md.tuned_plan = *plan;
  if (const auto base = take("base_model"))
    md.base_model = *base;
  if (const auto fingerprint = take("base_fingerprint"))
    md.base_fingerprint = *fingerprint;

  group({"epochs", "batch", "lr", "seed", "train_images", "holdout"}, [&] {
    const auto epochs = take("epochs"), batch = take("batch"), lr = take("lr"), seed = take("seed"),
               images = take("train_images"), holdout = take("holdout");
    if (!(epochs || batch || lr || seed || images || holdout))
      return;
    const char* keys = "epochs, batch, lr, seed and train_images";
    for (const auto& [key, value] :
         {std::pair{"epochs", &epochs}, std::pair{"batch", &batch}, std::pair{"lr", &lr},
          std::pair{"seed", &seed}, std::pair{"train_images", &images}})
      if (!*value)
        missing(key, keys);
    TrainingRecipe t;
    t.epochs = parse_count("epochs", *epochs, 1);
    t.batch = parse_count("batch", *batch, 1);
    t.lr = parse_positive("lr", *lr);
    t.seed = parse_whole("seed", *seed, 0, std::numeric_limits<uint64_t>::max());
    t.train_images = parse_count("train_images", *images, 1);
    if (holdout)
      t.holdout = parse_count("holdout", holdout_count(*holdout), 0);
    md.training = t;
  });

  for (const auto& [key, field] : kTextFields)
    if (const auto text = take(key))
      md.*field = *text;
  return md;
}

} // namespace lmul
