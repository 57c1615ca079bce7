#include "lmul/vit_safetensors.hpp"

#include "lmul/decimal.hpp"

#include <cstdlib>
#include <set>
#include <stdexcept>

namespace lmul {

namespace {
[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("safetensors: " + message);
}

const std::string& metadata_value(const std::map<std::string, std::string>& metadata,
                                  const std::string& key) {
  const auto it = metadata.find(key);
  if (it == metadata.end())
    fail("a ViT file needs the __metadata__ key '" + key + "'");
  return it->second;
}

std::size_t metadata_size(const std::map<std::string, std::string>& metadata,
                          const std::string& key) {
  const std::string& text = metadata_value(metadata, key);
  std::size_t value = 0;
  bool ok = !text.empty() && text.size() <= 9;
  for (char ch : text) {
    ok = ok && ch >= '0' && ch <= '9';
    value = value * 10 + std::size_t(ch - '0');
  }
  if (!ok)
    fail("__metadata__ '" + key + "' must be a decimal integer, got '" + text + "'");
  return value;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string describe_config(const VitConfig& c) {
  return "image " + std::to_string(c.image) + ", patch " + std::to_string(c.patch) + ", width " +
         std::to_string(c.width) + ", depth " + std::to_string(c.depth) + ", mlp_hidden " +
         std::to_string(c.mlp_hidden) + ", classes " + std::to_string(c.classes);
}
} // namespace

bool is_vit(const SafetensorsContent& content) {
  const auto it = content.metadata.find("arch");
  return it != content.metadata.end() && it->second == "vit";
}

std::map<std::string, std::string> vit_metadata(const VitConfig& c) {
  return {{"arch", "vit"},
          {"image", std::to_string(c.image)},
          {"patch", std::to_string(c.patch)},
          {"width", std::to_string(c.width)},
          {"depth", std::to_string(c.depth)},
          {"heads", std::to_string(c.heads)},
          {"mlp_hidden", std::to_string(c.mlp_hidden)},
          {"classes", std::to_string(c.classes)},
          {"activation", to_string(c.activation)},
          {"norm_eps", shortest_decimal(c.norm_eps)}};
}

VitConfig vit_config_from_metadata(const std::map<std::string, std::string>& metadata) {
  if (metadata_value(metadata, "arch") != "vit")
    fail("__metadata__ 'arch' is '" + metadata.at("arch") + "', not 'vit'");
  VitConfig c;
  c.image = metadata_size(metadata, "image");
  c.patch = metadata_size(metadata, "patch");
  c.width = metadata_size(metadata, "width");
  c.depth = metadata_size(metadata, "depth");
  c.heads = metadata_size(metadata, "heads");
  c.mlp_hidden = metadata_size(metadata, "mlp_hidden");
  c.classes = metadata_size(metadata, "classes");
  const std::string& activation = metadata_value(metadata, "activation");
  try {
    c.activation = parse_activation(activation);
  } catch (const std::invalid_argument&) {
    fail("__metadata__ 'activation' must be 'gelu' or 'relu', got '" + activation + "'");
  }
  const std::string& eps = metadata_value(metadata, "norm_eps");
  const auto norm_eps = parse_float(eps);
  if (!norm_eps)
    fail("__metadata__ 'norm_eps' must be a number, got '" + eps + "'");
  c.norm_eps = *norm_eps;
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    fail(std::string("__metadata__: ") + e.what());
  }
  return c;
}

Vit vit_from_safetensors(const SafetensorsContent& content) {
  const VitConfig c = vit_config_from_metadata(content.metadata);
  // Shapes are checked against the file's own tensors before anything is allocated.
  Vit vit;
  vit.config = c;
  vit.blocks.resize(c.depth);
  std::set<std::string> used;
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>& shape,
                           std::vector<float>& values) {
    const auto it = content.tensors.find(name);
    if (it == content.tensors.end())
      fail("no tensor '" + name + "' (the metadata's " + describe_config(c) + " needs it, shape " +
           shape_text(shape) + ")");
    if (it->second.shape != shape)
      fail("tensor '" + name + "' has shape " + shape_text(it->second.shape) +
           " but the metadata (" + describe_config(c) + ") needs " + shape_text(shape));
    values = it->second.values;
    used.insert(name);
  });
  for (const auto& [name, tensor] : content.tensors)
    if (!used.count(name))
      fail("tensor '" + name + "' is not a parameter of a ViT with " + describe_config(c));
  const auto dims = [](LinearParams& l, std::size_t in, std::size_t out) {
    l.in = in;
    l.out = out;
  };
  dims(vit.patch_embed, c.patch * c.patch, c.width);
  for (VitBlock& b : vit.blocks) {
    dims(b.qkv, c.width, 3 * c.width);
    dims(b.proj, c.width, c.width);
    dims(b.fc1, c.width, c.mlp_hidden);
    dims(b.fc2, c.mlp_hidden, c.width);
  }
  dims(vit.head, c.width, c.classes);
  try {
    vit.validate(); // non-finite values
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  return vit;
}

Vit load_vit(const uint8_t* data, std::size_t size) {
  return vit_from_safetensors(parse_safetensors(data, size));
}

Vit load_vit_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  try {
    return load_vit(bytes.data(), bytes.size());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::vector<uint8_t> save_vit(const Vit& vit, const std::map<std::string, std::string>& metadata) {
  vit.validate();
  std::vector<F32TensorRef> tensors;
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>& shape,
                           const std::vector<float>& values) {
    tensors.push_back({name, shape, &values});
  });
  std::map<std::string, std::string> meta = metadata;
  for (const auto& [key, value] : vit_metadata(vit.config))
    meta[key] = value;
  return serialize_safetensors(tensors, meta);
}

void save_vit_file(const Vit& vit, const std::string& path,
                   const std::map<std::string, std::string>& metadata) {
  write_file_bytes(path, save_vit(vit, metadata));
}

} // namespace lmul
