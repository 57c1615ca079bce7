// The fine-tune metadata schema (model_metadata.hpp): round trips, the shipped models' files,
// and errors that name the key and the bad value.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>

#include "lmul/model_metadata.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/vit_safetensors.hpp"

using namespace lmul;

namespace {
using Map = std::map<std::string, std::string>;

// What lmul train --finetune writes (the shipped E8M2 fine-tune's keys), plus a holdout.
Map finetune_map() {
  return {{"E", "8"},
          {"M", "2"},
          {"base_fingerprint", "fnv1a64:ef62cf39b7edea13"},
          {"base_model", "models/mlp-784-128-10.safetensors"},
          {"base_test_accuracy_exact", "0.9705"},
          {"batch", "128"},
          {"epochs", "3"},
          {"format", "pt"},
          {"holdout", "5000"},
          {"lr", "0.0003"},
          {"method", "lmul"},
          {"recipe", "fine-tuned from mlp-784-128-10: ..."},
          {"rounding", "nearest"},
          {"seed", "0"},
          {"sizes", "784-128-10"},
          {"spec", "lmul E8M2 nearest"},
          {"test_accuracy_at_spec", "0.9742"},
          {"test_accuracy_exact", "0.9746"},
          {"train_images", "55000"},
          {"train_loss", "0.052424"},
          {"trainer", "lmul train (lmul-wasm)"},
          {"weights", "rounded to E8M2 (nearest), the operands inference at this spec uses"}};
}

ModelMetadata read(const Map& map) { return ModelMetadata::from_map(map); }

Map with(Map map, const std::string& key, const std::string& value) {
  map[key] = value;
  return map;
}

// How an error names the allowed counts: size_t is 64 bits natively, 32 in WebAssembly.
std::string counts_from(int lo) {
  const std::size_t most = std::numeric_limits<std::size_t>::max();
  return most == std::numeric_limits<uint64_t>::max()
             ? ">= " + std::to_string(lo)
             : "in " + std::to_string(lo) + ".." + std::to_string(most);
}

Map without(Map map, const std::string& key) {
  map.erase(key);
  return map;
}

// Reading `map` throws std::invalid_argument with exactly `message`.
#define CHECK_BAD(map, message)                                                                    \
  CHECK_THROWS_WITH_AS(read(map), doctest::toString(std::string(message)), std::invalid_argument)
} // namespace

TEST_SUITE("metadata") {

  TEST_CASE("a fine-tune's keys read into the schema's fields and write back unchanged") {
    const ModelMetadata md = read(finetune_map());
    CHECK(md.arch == "mlp");
    REQUIRE(md.tuned);
    CHECK(md.tuned->method == Method::lmul);
    CHECK(md.tuned->format == FloatFormat(8, 2));
    CHECK(md.tuned->rounding == Rounding::nearest);
    CHECK(md.tuned_plan.empty());
    CHECK(md.finetuned());
    CHECK(md.base_model == "models/mlp-784-128-10.safetensors");
    CHECK(md.base_fingerprint == "fnv1a64:ef62cf39b7edea13");
    REQUIRE(md.training);
    CHECK(md.training->epochs == 3);
    CHECK(md.training->batch == 128);
    CHECK(md.training->lr == 0.0003);
    CHECK(md.training->seed == 0);
    CHECK(md.training->train_images == 55000);
    CHECK(md.training->holdout == 5000);
    CHECK(md.recipe == "fine-tuned from mlp-784-128-10: ...");
    CHECK(md.sizes == "784-128-10");
    CHECK(md.test_accuracy_at_spec == "0.9742");
    CHECK(md.base_test_accuracy_exact == "0.9705");
    CHECK(md.other.empty());
    CHECK(md.to_map() == finetune_map());
  }

  TEST_CASE("fields written, then read: the same fields") {
    ModelMetadata md;
    md.arch = "vit";
    md.tuned = MulSpec{Method::floating, FloatFormat(4, 3), Rounding::truncate};
    md.tuned_plan = "linear=exact,attention=lmul:E8M3";
    md.base_model = "models/vit.safetensors";
    md.base_fingerprint = "fnv1a64:0123456789abcdef";
    md.training = TrainingRecipe{7, 64, 0.1 + 0.2, 18446744073709551615ull, 60000, 0};
    md.recipe = "AdamW, cosine";
    md.other = {{"patch", "7"}, {"depth", "3"}};
    const Map map = md.to_map();
    CHECK(map.at("arch") == "vit");
    CHECK(map.at("spec") == "float E4M3 truncate");
    CHECK(map.at("plan") == "linear=exact,attention=lmul:E8M3");
    CHECK(map.at("lr") == "0.30000000000000004"); // the shortest text that reads back as lr
    CHECK(map.at("seed") == "18446744073709551615");
    CHECK(map.count("holdout") == 0);
    CHECK(map.at("patch") == "7");
    const ModelMetadata back = read(map);
    CHECK(back.arch == "vit");
    REQUIRE(back.tuned);
    CHECK(back.tuned->method == Method::floating);
    CHECK(back.tuned->format == FloatFormat(4, 3));
    CHECK(back.tuned->rounding == Rounding::truncate);
    CHECK(back.tuned_plan == md.tuned_plan);
    CHECK(back.base_model == md.base_model);
    CHECK(back.base_fingerprint == md.base_fingerprint);
    REQUIRE(back.training);
    CHECK(back.training->lr == 0.1 + 0.2);
    CHECK(back.training->seed == 18446744073709551615ull);
    CHECK(back.recipe == md.recipe);
    CHECK(back.other == md.other);
    CHECK(back.to_map() == map);
  }

  TEST_CASE("a model without metadata, and an MLP without an arch key") {
    const ModelMetadata none = read({});
    CHECK(none.arch == "mlp");
    CHECK(!none.tuned);
    CHECK(!none.training);
    CHECK(!none.finetuned());
    CHECK(none.to_map().empty());
    // MLPs are written without "arch", as lmul train always wrote them.
    CHECK(read({{"arch", "mlp"}}).to_map().empty());
    CHECK(read({{"arch", "vit"}}).arch == "vit");
    // Keys of other tools are kept.
    CHECK(read({{"note", "tiny"}}).to_map() == Map{{"note", "tiny"}});
  }

  TEST_CASE("exact fine-tunes (the controls) keep their method, E and M") {
    const ModelMetadata md =
        read(with(with(with(finetune_map(), "method", "exact"), "M", "3"), "spec", "exact"));
    REQUIRE(md.tuned);
    CHECK(md.tuned->method == Method::exact);
    CHECK(md.tuned->format == FloatFormat(8, 3));
    CHECK(md.to_map() ==
          with(with(with(finetune_map(), "method", "exact"), "M", "3"), "spec", "exact"));
  }

  TEST_CASE("the holdout as lmul train wrote it before it was a number") {
    const ModelMetadata md =
        read(with(finetune_map(), "holdout", "last 5000 training images not trained on"));
    CHECK(md.training->holdout == 5000);
    CHECK(md.to_map().at("holdout") == "5000");
  }

  TEST_CASE("bad values are named with their key") {
    const Map m = finetune_map();
    CHECK_BAD(with(m, "arch", "cnn"), "model metadata: 'arch' is 'cnn', not one of 'mlp', 'vit'");
    CHECK_THROWS_WITH_AS(
        read(with(m, "method", "magic")),
        doctest::Contains("model metadata: 'method' is 'magic', method must be one of"),
        std::invalid_argument);
    CHECK_BAD(with(m, "rounding", "up"),
              "model metadata: 'rounding' is 'up', rounding must be 'nearest' or 'truncate', got "
              "'up'");
    CHECK_BAD(with(m, "E", "9"), "model metadata: 'E' is '9', not a whole number in 2..8");
    CHECK_BAD(with(m, "E", "1"), "model metadata: 'E' is '1', not a whole number in 2..8");
    CHECK_BAD(with(m, "M", "24"), "model metadata: 'M' is '24', not a whole number in 1..23");
    CHECK_BAD(with(m, "M", "2.0"), "model metadata: 'M' is '2.0', not a whole number in 1..23");
    CHECK_BAD(with(m, "M", " 2"), "model metadata: 'M' is ' 2', not a whole number in 1..23");
    CHECK_BAD(with(m, "epochs", "0"),
              "model metadata: 'epochs' is '0', not a whole number " + counts_from(1));
    CHECK_BAD(with(m, "batch", "-1"),
              "model metadata: 'batch' is '-1', not a whole number " + counts_from(1));
    CHECK_BAD(with(m, "seed", "18446744073709551616"),
              "model metadata: 'seed' is '18446744073709551616', not a whole number >= 0");
    CHECK_BAD(with(m, "seed", ""), "model metadata: 'seed' is '', not a whole number >= 0");
    CHECK_BAD(with(m, "train_images", "many"),
              "model metadata: 'train_images' is 'many', not a whole number " + counts_from(1));
    CHECK_BAD(with(m, "holdout", "last few training images not trained on"),
              "model metadata: 'holdout' is 'few', not a whole number " + counts_from(0));
    for (const char* lr : {"0", "-0.001", "nan", "inf", "1e999", "0.001x", ""})
      CHECK_BAD(with(m, "lr", lr),
                "model metadata: 'lr' is '" + std::string(lr) + "', not a positive number");
  }

  TEST_CASE("incomplete groups name the missing key") {
    const Map m = finetune_map();
    for (const char* key : {"method", "E", "M", "rounding"})
      CHECK_BAD(without(m, key), "model metadata: '" + std::string(key) +
                                     "' is missing (method, E, M and rounding go together)");
    for (const char* key : {"epochs", "batch", "lr", "seed", "train_images"})
      CHECK_BAD(without(m, key),
                "model metadata: '" + std::string(key) +
                    "' is missing (epochs, batch, lr, seed and train_images go together)");
    CHECK_BAD((Map{{"holdout", "10"}}),
              "model metadata: 'epochs' is missing (epochs, batch, lr, seed and train_images go "
              "together)");
  }

  TEST_CASE("writing refuses what it could not read back") {
    ModelMetadata md;
    md.arch = "cnn";
    CHECK_THROWS_WITH_AS(md.to_map(), "model metadata: 'arch' is 'cnn', not one of 'mlp', 'vit'",
                         std::invalid_argument);
    md.arch = "mlp";
    md.other = {{"method", "lmul"}};
    CHECK_THROWS_WITH_AS(md.to_map(),
                         "model metadata: 'method' is a field of the schema, not one of the "
                         "other keys",
                         std::invalid_argument);
    md.other = {{"recipe", "text"}};
    CHECK_THROWS_AS(md.to_map(), std::invalid_argument);
  }

#ifdef LMUL_SOURCE_DIR
  TEST_CASE("every shipped model's metadata reads, and writes back byte for byte") {
    std::size_t files = 0, finetunes = 0;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(LMUL_SOURCE_DIR) + "/models")) {
      if (e.path().extension() != ".safetensors")
        continue;
      CAPTURE(e.path().string());
      ++files;
      const auto bytes = read_file_bytes(e.path().string());
      const SafetensorsContent c = parse_safetensors(bytes.data(), bytes.size());
      const ModelMetadata md = ModelMetadata::from_map(c.metadata);
      CHECK(md.to_map() == c.metadata);
      const bool vit = md.arch == "vit";
      CHECK((md.arch == "mlp" || vit));
      REQUIRE(md.training);
      CHECK(md.training->seed == 0);
      CHECK(!md.recipe.empty());
      // Every key lmul train writes is a field, or one of a ViT's architecture keys.
      const auto architecture = vit ? vit_metadata(vit_config_from_metadata(c.metadata))
                                    : std::map<std::string, std::string>{};
      for (const auto& entry : md.other)
        CHECK_MESSAGE(architecture.count(entry.first), entry.first);
      const bool finetuned = e.path().filename().string().find("-ft-") != std::string::npos;
      CHECK(md.finetuned() == finetuned);
      CHECK(bool(md.tuned) == finetuned);
      if (finetuned) {
        ++finetunes;
        CHECK(md.base_fingerprint.rfind("fnv1a64:", 0) == 0);
        CHECK(md.training->epochs == 3);
        // The file name says which multiplier it was tuned for.
        const std::string name = e.path().stem().string();
        CHECK(name.substr(name.find("-ft-") + 4) ==
              std::string(to_string(md.tuned->method)) + "-" + md.tuned->format.name());
      } else {
        CHECK(md.training->epochs == (vit ? 20 : 5));
        CHECK(md.training->lr == (vit ? 0.002 : 0.001));
      }
    }
    CHECK(files == 10);
    CHECK(finetunes == 7);
  }
#endif
}
