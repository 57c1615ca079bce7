#include "lmul/load_network.hpp"

#include <stdexcept>

#include "lmul/mlp.hpp"
#include "lmul/vit_safetensors.hpp"

namespace lmul {

std::unique_ptr<Network> network_from_safetensors(SafetensorsContent content) {
  const auto arch = content.metadata.find("arch");
  if (arch == content.metadata.end() || arch->second == "mlp")
    return std::make_unique<Mlp>(mlp_from_tensors(std::move(content.tensors)));
  if (arch->second == "vit")
    return std::make_unique<Vit>(vit_from_safetensors(content));
  throw std::invalid_argument("safetensors: __metadata__ 'arch' is '" + arch->second +
                              "'; this version reads 'mlp' (or no 'arch' key) and 'vit'");
}

std::unique_ptr<Network> load_network(const uint8_t* data, std::size_t size) {
  return network_from_safetensors(parse_safetensors(data, size));
}

} // namespace lmul
