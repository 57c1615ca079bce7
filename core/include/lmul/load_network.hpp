// Any network of the core from a safetensors file, chosen by the architecture its __metadata__
// names ("arch": absent or "mlp" for MLPs, safetensors.hpp; "vit" for vision transformers,
// vit_safetensors.hpp): what callers that take a model from anywhere (the package's loadModel)
// use, so that the choice of network lives in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lmul/network.hpp"
#include "lmul/safetensors.hpp"

namespace lmul {

// Throws std::invalid_argument naming the key, tensor or field: an architecture this version
// does not read, or what that architecture's loader rejects. The tensors are moved out of
// `content` (a large MLP then needs its weights in memory once).
std::unique_ptr<Network> network_from_safetensors(SafetensorsContent content);
std::unique_ptr<Network> load_network(const uint8_t* data, std::size_t size);

} // namespace lmul
