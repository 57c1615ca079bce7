// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header, then the tensor bytes. Only what an Mlp needs is
// supported: fp32 ("F32") tensors. Every malformed input throws std::invalid_argument naming
// the tensor or field and the problem; the parser never reads outside the given bytes.
//
// MLP tensor names follow PyTorch's state_dict: PREFIX<N>.weight [out, in] and
// PREFIX<N>.bias [out], one common PREFIX for the whole file ("fc" gives fc1.weight,
// "layers." gives layers.0.weight, "" gives a bare nn.Sequential's 0.weight). Layers are ordered
// by the integer N, which need not be contiguous (nn.Sequential skips the ReLU indices).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lmul/mlp.hpp"

namespace lmul {

struct F32Tensor {
  std::vector<std::size_t> shape;
  std::vector<float> values; // row-major, product(shape) values
};

struct SafetensorsContent {
  std::map<std::string, F32Tensor> tensors;
  std::map<std::string, std::string> metadata; // the header's "__metadata__", if any
};

// Parses and validates a whole safetensors file held in memory.
SafetensorsContent parse_safetensors(const uint8_t* data, std::size_t size);

// Builds an Mlp from tensors named as above (bias required for every layer). Pass
// std::move(content.tensors) to move the weights into it instead of copying them: a large
// model then needs its weights in memory once, not twice.
Mlp mlp_from_tensors(std::map<std::string, F32Tensor> tensors);

Mlp load_mlp(const uint8_t* data, std::size_t size);
// Errors start with the path.
Mlp load_mlp_file(const std::string& path);

// Serializes with names fc1.weight, fc1.bias, fc2.weight, ... and the given __metadata__.
std::vector<uint8_t> save_mlp(const Mlp& mlp,
                              const std::map<std::string, std::string>& metadata = {});
void save_mlp_file(const Mlp& mlp, const std::string& path,
                   const std::map<std::string, std::string>& metadata = {});

// A tensor to serialize; its values are read where they are, not copied.
struct F32TensorRef {
  std::string name;
  std::vector<std::size_t> shape;
  const std::vector<float>* values; // product(shape) values, row-major
};

// A safetensors file of fp32 tensors, stored in the given order, with the given __metadata__.
std::vector<uint8_t> serialize_safetensors(const std::vector<F32TensorRef>& tensors,
                                           const std::map<std::string, std::string>& metadata);

// Reads a whole file; throws std::runtime_error naming the path when it cannot.
std::vector<uint8_t> read_file_bytes(const std::string& path);
// Writes a whole file; throws std::runtime_error naming the path when it cannot.
void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes);

// "fnv1a64:" + 16 hex digits of the FNV-1a 64-bit hash of a file's bytes: fine-tuned models
// record their base model's, so `lmul eval` can tell when the base file has changed.
std::string fingerprint(const std::vector<uint8_t>& bytes);

} // namespace lmul
