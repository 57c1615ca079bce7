// Vision transformers in safetensors files: PyTorch state_dict names (vit.hpp's
// for_each_tensor: patch_embed.weight [width, 1, patch, patch], cls_token [1, 1, width],
// pos_embed [1, tokens, width], blocks.0.norm1.weight, blocks.0.attn.qkv.weight, ...,
// head.bias) and the architecture in __metadata__:
//   arch "vit", image, patch, width, depth, heads, mlp_hidden, classes (decimal integers),
//   activation ("gelu" | "relu"), norm_eps (a decimal number).
// Loading checks every tensor's shape against the metadata and rejects missing, extra and
// non-finite tensors with std::invalid_argument naming the tensor or key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lmul/safetensors.hpp"
#include "lmul/vit.hpp"

namespace lmul {

// True when the file's metadata says arch "vit".
bool is_vit(const SafetensorsContent& content);

// The architecture keys above, for a file's __metadata__.
std::map<std::string, std::string> vit_metadata(const VitConfig& config);
VitConfig vit_config_from_metadata(const std::map<std::string, std::string>& metadata);

Vit vit_from_safetensors(const SafetensorsContent& content);
Vit load_vit(const uint8_t* data, std::size_t size);
// Errors start with the path.
Vit load_vit_file(const std::string& path);

// The architecture keys are added to `metadata` (and win over keys of the same name).
std::vector<uint8_t> save_vit(const Vit& vit,
                              const std::map<std::string, std::string>& metadata = {});
void save_vit_file(const Vit& vit, const std::string& path,
                   const std::map<std::string, std::string>& metadata = {});

} // namespace lmul
