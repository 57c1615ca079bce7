#include "lmul/safetensors.hpp"

#include "lmul/finite.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "json_reader.hpp"

namespace lmul {

namespace {
// Headers are read with json_reader, which keeps nlohmann::json out of the npm package's .wasm
// (see json_reader.hpp); save_mlp still writes them with nlohmann::json.
using json = nlohmann::json;
using Json = lmul::json_reader::Value;

constexpr std::size_t kHeaderLengthBytes = 8;
// The reference implementation refuses headers above 100 MB; so do we.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
const char* const kMetadataKey = "__metadata__";

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("safetensors: " + message);
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

// count little-endian float32s from p: one memcpy on little-endian hosts, WebAssembly included.
// (A loop over the values made parse_safetensors hot in WebAssembly, and V8 recompiled all of it
// with its optimizing compiler on every page load: ~75 ms in Chromium.)
void read_f32s_le(const uint8_t* p, std::size_t count, float* out) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (count != 0) // an empty tensor's out is null, which memcpy may not be given
    std::memcpy(out, p, 4 * count);
#else
  for (std::size_t i = 0; i < count; ++i, p += 4)
    out[i] = float_of(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                      uint32_t(p[3]) << 24);
#endif
}

void write_u64_le(uint64_t v, std::vector<uint8_t>& out) {
  for (int i = 0; i < 8; ++i)
    out.push_back(uint8_t(v >> (8 * i)));
}

void write_f32_le(float x, std::vector<uint8_t>& out) {
  const uint32_t u = bits_of(x);
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(u >> (8 * i)));
}

// A JSON value for an error message: scalars in full (strings shortened), containers by type
// only, since dumping an arbitrarily nested value from a hostile file could recurse deeply.
std::string describe(const Json& v) {
  if (v.is_structured())
    return std::string("a JSON ") + v.type_name();
  std::string text = v.dump_scalar();
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return text;
}

std::string shape_text(const std::vector<uint64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i == 8) {
      text += ", ... (" + std::to_string(dims.size()) + " dimensions)";
      break;
    }
    text += (i ? ", " : "") + std::to_string(dims[i]);
  }
  return text + "]";
}

// A non-negative JSON integer that fits in uint64 (rejects floats, negatives, booleans).
uint64_t unsigned_field(const Json& v, const std::string& what) {
  if (!v.is_unsigned)
    fail(what + " must be a non-negative integer, got " + describe(v));
  return v.unsigned_value;
}

struct Entry {
  std::string name;
  std::vector<std::size_t> shape;
  uint64_t begin = 0, end = 0;
};

Entry parse_entry(const std::string& name, const Json& v, uint64_t buffer_size) {
  const std::string where = "tensor '" + name + "'";
  if (!v.is_object())
    fail(where + " must be a JSON object, got " + std::string(v.type_name()));
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!v.find(field))
      fail(where + " has no \"" + field + "\"");
  const Json& dtype = *v.find("dtype");
  if (!dtype.is_string())
    fail(where + " dtype must be a string, got " + describe(dtype));
  if (dtype.text != "F32")
    fail(where + " has dtype " + dtype.text + "; only F32 (fp32 little-endian) is supported");

  Entry e;
  e.name = name;
  const Json& shape = *v.find("shape");
  if (!shape.is_array())
    fail(where + " shape must be an array, got " + describe(shape));
  uint64_t count = 1;
  std::vector<uint64_t> dims;
  for (const Json& d : shape.items) {
    const uint64_t n = unsigned_field(d, where + " shape entry");
    dims.push_back(n);
    // Counts beyond the buffer are caught below; saturate instead of overflowing.
    count = (n != 0 && count > std::numeric_limits<uint64_t>::max() / n) ? ~uint64_t(0) : count * n;
    e.shape.push_back(std::size_t(std::min<uint64_t>(n, std::numeric_limits<std::size_t>::max())));
  }

  const Json& offsets = *v.find("data_offsets");
  if (!offsets.is_array() || offsets.items.size() != 2)
    fail(where + " data_offsets must be an array [begin, end], got " +
         (offsets.is_array() ? "an array of " + std::to_string(offsets.items.size())
                             : describe(offsets)));
  e.begin = unsigned_field(offsets.items[0], where + " data_offsets begin");
  e.end = unsigned_field(offsets.items[1], where + " data_offsets end");
  if (e.begin > e.end)
    fail(where + " data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         "] end before they begin");
  if (e.end > buffer_size)
    fail(where + " data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         "] are out of range: the data section has " + std::to_string(buffer_size) + " bytes");
  const uint64_t bytes = e.end - e.begin;
  if (count > bytes / 4 || count * 4 != bytes)
    fail(where + " has shape " + shape_text(dims) + " (" +
         (count == ~uint64_t(0) ? std::string("too many") : std::to_string(count)) + " values, " +
         "4 bytes each) but data_offsets span " + std::to_string(bytes) + " bytes");
  return e;
}

// safetensors requires the tensors to tile the data section exactly: no overlap, no gap.
void check_layout(std::vector<Entry>& entries, uint64_t buffer_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered)
      fail("tensors '" + previous->name + "' and '" + e.name + "' overlap (bytes " +
           std::to_string(e.begin) + ".." + std::to_string(covered) + ")");
    if (e.begin > covered)
      fail("bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
           " of the data section belong to no tensor (tensors must be contiguous)");
    covered = e.end;
    previous = &e;
  }
  if (covered != buffer_size)
    fail("the data section has " + std::to_string(buffer_size) + " bytes but the tensors cover " +
         std::to_string(covered) + " (tensors must cover it exactly)");
}

// Splits "fc12.weight" into prefix "fc", index 12, kind "weight".
bool split_name(const std::string& name, std::string& prefix, uint64_t& index, std::string& kind) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos)
    return false;
  kind = name.substr(dot + 1);
  if (kind != "weight" && kind != "bias")
    return false;
  std::size_t digits = dot;
  while (digits > 0 && name[digits - 1] >= '0' && name[digits - 1] <= '9')
    --digits;
  if (digits == dot || dot - digits > 9)
    return false;
  prefix = name.substr(0, digits);
  index = std::stoull(name.substr(digits, dot - digits));
  return true;
}
} // namespace

SafetensorsContent parse_safetensors(const uint8_t* data, std::size_t size) {
  if (size < kHeaderLengthBytes)
    fail("file has " + std::to_string(size) +
         " bytes, fewer than the 8-byte header length it must start with");
  const uint64_t header_length = read_u64_le(data);
  if (header_length > size - kHeaderLengthBytes)
    fail("header length " + std::to_string(header_length) + " goes beyond the end of the file (" +
         std::to_string(size) + " bytes)");
  if (header_length > kMaxHeaderBytes)
    fail("header length " + std::to_string(header_length) + " exceeds the 100 MB limit");
  const uint8_t* header_begin = data + kHeaderLengthBytes;
  Json header;
  try {
    header = lmul::json_reader::parse(header_begin, std::size_t(header_length));
  } catch (const lmul::json_reader::DuplicateKey& e) {
    // Readers disagree on which of two values wins, so the file says two things.
    fail("header has the key '" + e.key() +
         "' twice; a tensor name, a metadata key or a tensor field may appear only once (" +
         e.what() + ")");
  } catch (const lmul::json_reader::ParseError& e) {
    fail(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object())
    fail("header must be a JSON object, got " + std::string(header.type_name()));

  const uint64_t buffer_size = size - kHeaderLengthBytes - header_length;
  const uint8_t* buffer = header_begin + header_length;
  SafetensorsContent content;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.members) {
    if (key == kMetadataKey) {
      if (!value.is_object())
        fail("__metadata__ must be an object of strings, got " + std::string(value.type_name()));
      for (const auto& [name, text] : value.members) {
        if (!text.is_string())
          fail("__metadata__ value '" + name + "' must be a string, got " + describe(text));
        content.metadata[name] = text.text;
      }
      continue;
    }
    entries.push_back(parse_entry(key, value, buffer_size));
  }
  check_layout(entries, buffer_size);

  for (const Entry& e : entries) {
    F32Tensor t;
    t.shape = e.shape;
    const std::size_t count = std::size_t((e.end - e.begin) / 4);
    t.values.resize(count);
    read_f32s_le(buffer + e.begin, count, t.values.data());
    content.tensors.emplace(e.name, std::move(t));
  }
  return content;
}

Mlp mlp_from_tensors(std::map<std::string, F32Tensor> tensors) {
  if (tensors.empty())
    fail("the file has no tensors; an MLP needs PREFIX<N>.weight and PREFIX<N>.bias");
  struct Slots {
    const std::string* weight_name = nullptr;
    const std::string* bias_name = nullptr;
    F32Tensor* weight = nullptr;
    F32Tensor* bias = nullptr;
  };
  std::map<uint64_t, Slots> by_index;
  std::string common_prefix;
  const std::string* first_name = nullptr;
  for (auto& [name, tensor] : tensors) {
    std::string prefix, kind;
    uint64_t index = 0;
    if (!split_name(name, prefix, index, kind))
      fail("tensor '" + name +
           "' is not an MLP parameter (expected names like fc1.weight, fc1.bias or "
           "layers.0.weight)");
    if (!first_name) {
      first_name = &name;
      common_prefix = prefix;
    } else if (prefix != common_prefix) {
      fail("tensors '" + *first_name + "' and '" + name +
           "' use different name prefixes; one MLP uses one prefix");
    }
    Slots& s = by_index[index];
    const bool is_weight = kind == "weight";
    if ((is_weight ? s.weight : s.bias) != nullptr)
      fail("tensors '" + *(is_weight ? s.weight_name : s.bias_name) + "' and '" + name +
           "' both claim layer " + std::to_string(index));
    (is_weight ? s.weight_name : s.bias_name) = &name;
    (is_weight ? s.weight : s.bias) = &tensor;
  }

  std::vector<LinearParams> layers;
  const std::string* previous_weight = nullptr;
  for (const auto& [index, s] : by_index) {
    const std::string stem = common_prefix + std::to_string(index);
    if (!s.weight)
      fail("tensor '" + *s.bias_name + "' has no matching '" + stem + ".weight'");
    if (!s.bias)
      fail("tensor '" + *s.weight_name + "' has no bias '" + stem + ".bias'");
    if (s.weight->shape.size() != 2)
      fail("tensor '" + *s.weight_name + "' must be 2-D [out, in], has " +
           std::to_string(s.weight->shape.size()) + " dimensions");
    if (s.bias->shape.size() != 1)
      fail("tensor '" + *s.bias_name + "' must be 1-D [out], has " +
           std::to_string(s.bias->shape.size()) + " dimensions");
    LinearParams l;
    l.out = s.weight->shape[0];
    l.in = s.weight->shape[1];
    if (l.out == 0 || l.in == 0)
      fail("tensor '" + *s.weight_name + "' has an empty shape [" + std::to_string(l.out) + ", " +
           std::to_string(l.in) + "]");
    if (s.bias->shape[0] != l.out)
      fail("tensor '" + *s.bias_name + "' has " + std::to_string(s.bias->shape[0]) +
           " values but '" + *s.weight_name + "' has " + std::to_string(l.out) + " outputs");
    if (!layers.empty() && layers.back().out != l.in)
      fail("shape mismatch between layers: '" + *s.weight_name + "' takes " + std::to_string(l.in) +
           " inputs but '" + *previous_weight + "' gives " + std::to_string(layers.back().out) +
           " outputs");
    for (const auto& [tensor, name] : {std::pair{s.weight, s.weight_name}, {s.bias, s.bias_name}})
      check_finite(tensor->values.data(), tensor->values.size(),
                   "safetensors: tensor '" + *name + "'");
    l.weight = std::move(s.weight->values);
    l.bias = std::move(s.bias->values);
    layers.push_back(std::move(l));
    previous_weight = s.weight_name;
  }
  return Mlp(std::move(layers));
}

Mlp load_mlp(const uint8_t* data, std::size_t size) {
  return mlp_from_tensors(parse_safetensors(data, size).tensors);
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  // A folder opens as a stream: libstdc++ then throws from the read without naming the file,
  // Emscripten's libc++ reads it as an empty file. Say what it is instead.
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw std::runtime_error("cannot read '" + path + "': " + std::strerror(EISDIR));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception&) { // libstdc++'s read errors do not name the file
    const int error = errno;
    throw std::runtime_error("cannot read '" + path + "': " + std::strerror(error));
  }
  if (in.bad())
    throw std::runtime_error("cannot read '" + path + "'");
  return bytes;
}

std::string fingerprint(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes)
    h = (h ^ b) * 0x100000001b3ull;
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Mlp load_mlp_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return load_mlp(bytes.data(), bytes.size());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::vector<uint8_t> serialize_safetensors(const std::vector<F32TensorRef>& tensors,
                                           const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty())
    header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const F32TensorRef& t : tensors) {
    const uint64_t bytes = 4 * uint64_t(t.values->size());
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + offset);
  write_u64_le(text.size(), out);
  out.insert(out.end(), text.begin(), text.end());
  for (const F32TensorRef& t : tensors)
    for (float v : *t.values)
      write_f32_le(v, out);
  return out;
}

void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out)
    throw std::runtime_error("error while writing '" + path + "'");
}

std::vector<uint8_t> save_mlp(const Mlp& mlp, const std::map<std::string, std::string>& metadata) {
  if (mlp.layers().empty())
    throw std::invalid_argument("save_mlp: the MLP has no layers");
  std::vector<F32TensorRef> tensors;
  const auto& layers = mlp.layers();
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const std::string stem = "fc" + std::to_string(k + 1);
    tensors.push_back({stem + ".weight", {layers[k].out, layers[k].in}, &layers[k].weight});
    tensors.push_back({stem + ".bias", {layers[k].out}, &layers[k].bias});
  }
  return serialize_safetensors(tensors, metadata);
}

void save_mlp_file(const Mlp& mlp, const std::string& path,
                   const std::map<std::string, std::string>& metadata) {
  write_file_bytes(path, save_mlp(mlp, metadata));
}

} // namespace lmul
