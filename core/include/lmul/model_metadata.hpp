// The metadata of a model file (the safetensors header's "__metadata__", string keys and
// values), as one schema: `lmul train` writes it through to_map(); `lmul eval --finetuned`
// and the package read it through from_map(). Each field names its key.
//
// Files written before this schema existed read as they are: a file without "arch" is an MLP,
// and `arch` is written only for other architectures, so the MLP files `lmul train` writes
// keep the bytes of the shipped models (tests/cli/train.test.mjs reproduces one byte for byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lmul/multiply.hpp"

namespace lmul {

// How a model was trained: the recipe's numbers, all present or all absent.
struct TrainingRecipe {
  std::size_t epochs = 0;       // "epochs", >= 1
  std::size_t batch = 0;        // "batch", >= 1
  double lr = 0;                // "lr", Adam's learning rate, > 0
  uint64_t seed = 0;            // "seed"
  std::size_t train_images = 0; // "train_images", >= 1: how many training images were used
  std::size_t holdout = 0;      // "holdout" (absent: 0): the last N training images, kept out
};

struct ModelMetadata {
  std::string arch = "mlp"; // "arch": "mlp" or "vit"; absent means "mlp"
  // "method", "E", "M", "rounding": the multiplier of the forward pass the model was trained or
  // fine-tuned with. Absent for a model trained with exact products from scratch. Written with a
  // "spec" key for people (MulSpec::describe()), which reading ignores.
  std::optional<MulSpec> tuned;
  std::string tuned_plan;       // "plan": the multiplier plan (CLI SPEC grammar) it was tuned for
  std::string base_model;       // "base_model": the model it was fine-tuned from, the path as given
  std::string base_fingerprint; // "base_fingerprint": fingerprint() of that file
  std::optional<TrainingRecipe> training; // "epochs", "batch", "lr", "seed", "train_images"...

  // Free text as `lmul train` writes it, kept as written ("" when absent).
  std::string recipe;                   // "recipe": the recipe in words
  std::string sizes;                    // "sizes": layer sizes, e.g. "784-128-10"
  std::string format;                   // "format": "pt" (PyTorch state_dict names)
  std::string trainer;                  // "trainer"
  std::string train_loss;               // "train_loss": mean loss of the last epoch
  std::string test_accuracy_exact;      // "test_accuracy_exact"
  std::string test_accuracy_at_spec;    // "test_accuracy_at_spec": with the tuned multiplier
  std::string base_test_accuracy_exact; // "base_test_accuracy_exact"
  std::string weights;                  // "weights": how the weights are stored

  // Keys this schema does not know (an architecture's own, another tool's), kept as they are.
  std::map<std::string, std::string> other;

  bool finetuned() const { return !base_model.empty(); }

  std::map<std::string, std::string> to_map() const;
  // Throws std::invalid_argument naming the key and its value when a value is malformed, or
  // the key that is missing when a group (method/E/M/rounding, the recipe's numbers) is
  // incomplete. With `problems` (readers that show a model from anywhere, like the package),
  // such a group is left out instead (its keys stay in `other`, as written) and the message is
  // added to *problems.
  static ModelMetadata from_map(const std::map<std::string, std::string>& map,
                                std::vector<std::string>* problems = nullptr);
};

} // namespace lmul
