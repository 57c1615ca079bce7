#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "lmul/random.hpp"
#include "lmul/safetensors.hpp"

using namespace lmul;

namespace {
// A safetensors file from a literal header and data bytes.
std::vector<uint8_t> file_of(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> f;
  for (int i = 0; i < 8; ++i)
    f.push_back(uint8_t(uint64_t(header.size()) >> (8 * i)));
  f.insert(f.end(), header.begin(), header.end());
  f.insert(f.end(), data.begin(), data.end());
  return f;
}

std::vector<uint8_t> floats(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size()); // the test machines are little-endian
  return b;
}

std::string entry(const std::string& name, const std::string& shape, std::size_t begin,
                  std::size_t end, const std::string& dtype = "F32") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// A valid 3-2-2 MLP: fc1.weight [2,3] at 0..24, fc1.bias [2] 24..32, fc2.weight [2,2] 32..48,
// fc2.bias [2] 48..56.
std::vector<float> small_values() {
  return {0.5f, -1, 2, 0.25f, 0, 1, 0.1f, -0.2f, 1, 2, 3, 4, -1, 1};
}
std::string small_header(const std::string& extra = "") {
  return "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[2]", 24, 32) + "," +
         entry("fc2.weight", "[2,2]", 32, 48) + "," + entry("fc2.bias", "[2]", 48, 56) + extra +
         "}";
}
std::vector<uint8_t> small_file() { return file_of(small_header(), floats(small_values())); }

Mlp load(const std::vector<uint8_t>& f) { return load_mlp(f.data(), f.size()); }

#define CHECK_REJECTS(bytes, text)                                                                 \
  CHECK_THROWS_WITH_AS(load(bytes), doctest::Contains(text), std::invalid_argument)
} // namespace

TEST_SUITE("safetensors") {

  TEST_CASE("a valid file loads with PyTorch names and layouts") {
    const Mlp mlp = load(small_file());
    REQUIRE(mlp.sizes() == std::vector<std::size_t>{3, 2, 2});
    CHECK(mlp.layers()[0].weight == std::vector<float>{0.5f, -1, 2, 0.25f, 0, 1});
    CHECK(mlp.layers()[0].bias == std::vector<float>{0.1f, -0.2f});
    CHECK(mlp.layers()[1].weight == std::vector<float>{1, 2, 3, 4});
    CHECK(mlp.layers()[1].bias == std::vector<float>{-1, 1});
  }

  TEST_CASE("layers are ordered by index; nn.Sequential gaps and any common prefix work") {
    // fc10 comes after fc2 (numeric, not string, order); data stored in another order.
    const std::string h =
        "{" + entry("fc10.weight", "[2,2]", 0, 16) + "," + entry("fc10.bias", "[2]", 16, 24) + "," +
        entry("fc2.weight", "[2,3]", 24, 48) + "," + entry("fc2.bias", "[2]", 48, 56) + "}";
    const auto v = small_values();
    std::vector<float> reordered(v.begin() + 8, v.begin() + 14);
    reordered.insert(reordered.end(), v.begin(), v.begin() + 8);
    const Mlp a = load(file_of(h, floats(reordered)));
    CHECK(a.sizes() == std::vector<std::size_t>{3, 2, 2});
    CHECK(a.layers()[0].weight == load(small_file()).layers()[0].weight);

    for (const std::string prefix : {"layers.", "", "net.model.layer"}) {
      const std::string s = "{" + entry(prefix + "0.weight", "[2,3]", 0, 24) + "," +
                            entry(prefix + "0.bias", "[2]", 24, 32) + "," +
                            entry(prefix + "2.weight", "[2,2]", 32, 48) + "," +
                            entry(prefix + "2.bias", "[2]", 48, 56) + "}";
      CHECK(load(file_of(s, floats(small_values()))).sizes() == std::vector<std::size_t>{3, 2, 2});
    }
  }

  TEST_CASE("metadata is read, and header padding with spaces is accepted") {
    const std::string h = small_header(",\"__metadata__\":{\"format\":\"pt\",\"seed\":\"0\"}");
    const auto f = file_of(h + "   ", floats(small_values()));
    const SafetensorsContent c = parse_safetensors(f.data(), f.size());
    CHECK(c.metadata.at("format") == "pt");
    CHECK(c.metadata.at("seed") == "0");
    CHECK(c.tensors.size() == 4);
    CHECK(c.tensors.at("fc2.weight").shape == std::vector<std::size_t>{2, 2});
  }

  TEST_CASE("save then load round-trips bit for bit, with metadata") {
    Rng rng(1);
    std::vector<LinearParams> layers;
    for (auto [in, out] : {std::pair<std::size_t, std::size_t>{13, 7}, {7, 5}, {5, 3}}) {
      LinearParams l;
      l.in = in;
      l.out = out;
      for (std::size_t k = 0; k < in * out; ++k)
        l.weight.push_back(float(rng.normal()));
      l.weight[0] = -0.0f;
      l.weight[1] = std::numeric_limits<float>::denorm_min();
      for (std::size_t k = 0; k < out; ++k)
        l.bias.push_back(float(rng.normal()));
      layers.push_back(l);
    }
    const Mlp mlp(layers);
    const auto bytes = save_mlp(mlp, {{"recipe", "test"}});
    CHECK((bytes[0] | bytes[1] << 8) % 8 == 0); // header padded: data 8-byte aligned
    const SafetensorsContent c = parse_safetensors(bytes.data(), bytes.size());
    CHECK(c.metadata.at("recipe") == "test");
    CHECK(c.tensors.count("fc3.bias") == 1);
    const Mlp back = load(bytes);
    REQUIRE(back.sizes() == mlp.sizes());
    for (std::size_t k = 0; k < 3; ++k) {
      CHECK(std::memcmp(back.layers()[k].weight.data(), mlp.layers()[k].weight.data(),
                        4 * mlp.layers()[k].weight.size()) == 0);
      CHECK(std::memcmp(back.layers()[k].bias.data(), mlp.layers()[k].bias.data(),
                        4 * mlp.layers()[k].bias.size()) == 0);
    }
  }

  TEST_CASE("truncated files and bad header lengths") {
    CHECK_REJECTS(std::vector<uint8_t>{}, "fewer than the 8-byte header length");
    CHECK_REJECTS(std::vector<uint8_t>(7, 0), "file has 7 bytes");
    auto f = small_file();
    f[0] = 0xff; // header length 255+ beyond the file
    CHECK_REJECTS(f, "goes beyond the end of the file");
    auto huge = small_file();
    for (int i = 0; i < 8; ++i)
      huge[i] = 0xff;
    CHECK_REJECTS(huge, "goes beyond the end of the file");
    const auto full = small_file();
    const std::vector<uint8_t> cut(full.begin(), full.end() - 4);
    CHECK_REJECTS(cut, "out of range");
  }

  TEST_CASE("headers that are not a JSON object") {
    CHECK_REJECTS(file_of("{\"fc1.weight\":", {}), "not valid JSON");
    CHECK_REJECTS(file_of("\xff\xfe", {}), "not valid JSON");
    CHECK_REJECTS(file_of("", {}), "not valid JSON");
    CHECK_REJECTS(file_of("[1,2]", {}), "header must be a JSON object, got array");
    CHECK_REJECTS(file_of("{\"fc1.weight\":3}", {}), "tensor 'fc1.weight' must be a JSON object");
    CHECK_REJECTS(file_of("{}", {}), "no tensors");
  }

  TEST_CASE("a key given twice is an error naming it (a tensor, a metadata key, a field)") {
    // Which value would win is up to the reader, so the file is refused instead of guessed at.
    const auto data = floats(small_values());
    CHECK_REJECTS(file_of(small_header("," + entry("fc2.bias", "[2]", 48, 56)), data),
                  "header has the key 'fc2.bias' twice");
    CHECK_REJECTS(
        file_of(small_header(",\"__metadata__\":{\"method\":\"lmul\",\"method\":\"exact\"}"), data),
        "header has the key 'method' twice");
    const std::string twice = "\"fc2.bias\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],"
                              "\"data_offsets\":[48,56]}";
    std::string header = small_header();
    header.replace(header.find(entry("fc2.bias", "[2]", 48, 56)),
                   entry("fc2.bias", "[2]", 48, 56).size(), twice);
    CHECK_REJECTS(file_of(header, data), "header has the key 'dtype' twice");
  }

  TEST_CASE("missing or malformed dtype, shape and data_offsets") {
    const auto data = floats({1, 2});
    CHECK_REJECTS(file_of("{\"fc1.bias\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data),
                  "tensor 'fc1.bias' has no \"dtype\"");
    CHECK_REJECTS(file_of("{\"fc1.bias\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", data),
                  "tensor 'fc1.bias' has no \"shape\"");
    CHECK_REJECTS(file_of("{\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[2]}}", data),
                  "tensor 'fc1.bias' has no \"data_offsets\"");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[2]", 0, 4, "F16") + "}", floats({1})),
                  "tensor 'fc1.bias' has dtype F16; only F32");
    CHECK_REJECTS(
        file_of("{\"fc1.bias\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", data),
        "dtype must be a string");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[2.5]", 0, 8) + "}", data),
                  "shape entry must be a non-negative integer, got 2.5");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[-2]", 0, 8) + "}", data),
                  "must be a non-negative integer");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[[[2]]]", 0, 8) + "}", data),
                  "got a JSON array");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "\"2\"", 0, 8) + "}", data),
                  "shape must be an array");
    CHECK_REJECTS(
        file_of("{\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", data),
        "data_offsets must be an array [begin, end]");
    CHECK_REJECTS(
        file_of("{\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}}", data),
        "data_offsets begin must be a non-negative integer");
  }

  TEST_CASE("offsets out of range, reversed, overlapping or leaving gaps") {
    const auto data = floats(small_values());
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[2]", 56, 64) + "}", data), "out of range");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[2]", 0, 18446744073709551615ull) + "}", data),
                  "out of range");
    CHECK_REJECTS(file_of("{" + entry("fc1.bias", "[0]", 8, 0) + "}", data),
                  "end before they begin");
    // fc1.bias overlaps fc1.weight.
    const std::string overlap =
        "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[2]", 20, 28) + "," +
        entry("fc2.weight", "[2,2]", 28, 44) + "," + entry("fc2.bias", "[3]", 44, 56) + "}";
    CHECK_REJECTS(file_of(overlap, data), "'fc1.weight' and 'fc1.bias' overlap");
    // Same bytes for two tensors.
    const std::string twice =
        "{" + entry("fc1.bias", "[2]", 0, 8) + "," + entry("fc2.bias", "[2]", 0, 8) + "}";
    CHECK_REJECTS(file_of(twice, floats({1, 2})), "overlap");
    // A gap between tensors, and bytes left over at the end.
    const std::string gap =
        "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[2]", 28, 36) + "}";
    CHECK_REJECTS(file_of(gap, data), "bytes 24..28 of the data section belong to no tensor");
    CHECK_REJECTS(
        file_of(small_header(), floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})),
        "the data section has 60 bytes but the tensors cover 56");
    const std::string late = "{" + entry("fc1.bias", "[2]", 8, 16) + "}";
    CHECK_REJECTS(file_of(late, floats({1, 2, 3, 4})), "bytes 0..8");
  }

  TEST_CASE("shape and byte count disagree") {
    const std::string h =
        "{" + entry("fc1.weight", "[2,4]", 0, 24) + "," + entry("fc1.bias", "[2]", 24, 32) + "}";
    CHECK_REJECTS(file_of(h, floats({1, 2, 3, 4, 5, 6, 7, 8})),
                  "tensor 'fc1.weight' has shape [2, 4] (8 values, 4 bytes each) but data_offsets "
                  "span 24 bytes");
    const std::string overflow =
        "{" + entry("fc1.bias", "[4294967296,4294967296,4294967296]", 0, 8) + "}";
    CHECK_REJECTS(file_of(overflow, floats({1, 2})), "too many values");
    const std::string odd = "{" + entry("fc1.bias", "[1]", 0, 5) + "}";
    CHECK_REJECTS(file_of(odd, std::vector<uint8_t>(5, 0)), "span 5 bytes");
  }

  TEST_CASE("layer structure: missing bias or weight, bad ranks, shapes that do not chain") {
    const auto v = small_values();
    const std::string no_bias = "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," +
                                entry("fc2.weight", "[2,2]", 24, 40) + "," +
                                entry("fc2.bias", "[2]", 40, 48) + "}";
    CHECK_REJECTS(file_of(no_bias, floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})),
                  "tensor 'fc1.weight' has no bias 'fc1.bias'");
    const std::string no_weight = "{" + entry("fc1.bias", "[2]", 0, 8) + "}";
    CHECK_REJECTS(file_of(no_weight, floats({1, 2})), "has no matching 'fc1.weight'");
    const std::string rank3 =
        "{" + entry("fc1.weight", "[1,2,3]", 0, 24) + "," + entry("fc1.bias", "[1]", 24, 28) + "}";
    CHECK_REJECTS(file_of(rank3, floats({1, 2, 3, 4, 5, 6, 7})), "must be 2-D [out, in]");
    const std::string rank2_bias =
        "{" + entry("fc1.weight", "[1,2]", 0, 8) + "," + entry("fc1.bias", "[1,1]", 8, 12) + "}";
    CHECK_REJECTS(file_of(rank2_bias, floats({1, 2, 3})), "must be 1-D [out]");
    const std::string bias_size =
        "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[3]", 24, 36) + "}";
    CHECK_REJECTS(file_of(bias_size, floats({1, 2, 3, 4, 5, 6, 7, 8, 9})),
                  "'fc1.bias' has 3 values but 'fc1.weight' has 2 outputs");
    const std::string chain =
        "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[2]", 24, 32) + "," +
        entry("fc2.weight", "[1,3]", 32, 44) + "," + entry("fc2.bias", "[1]", 44, 48) + "}";
    CHECK_REJECTS(file_of(chain, floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})),
                  "shape mismatch between layers: 'fc2.weight' takes 3 inputs but 'fc1.weight' "
                  "gives 2 outputs");
    const std::string empty =
        "{" + entry("fc1.weight", "[0,3]", 0, 0) + "," + entry("fc1.bias", "[0]", 0, 0) + "}";
    CHECK_REJECTS(file_of(empty, {}), "empty shape");
  }

  TEST_CASE("names that are not MLP parameters") {
    CHECK_REJECTS(file_of("{" + entry("fc1.running_mean", "[2]", 0, 8) + "}", floats({1, 2})),
                  "'fc1.running_mean' is not an MLP parameter");
    CHECK_REJECTS(file_of("{" + entry("weight", "[2]", 0, 8) + "}", floats({1, 2})),
                  "not an MLP parameter");
    const std::string mixed =
        "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[2]", 24, 32) + "," +
        entry("out2.weight", "[2,2]", 32, 48) + "," + entry("out2.bias", "[2]", 48, 56) + "}";
    CHECK_REJECTS(file_of(mixed, floats(small_values())), "different name prefixes");
    const std::string same_index =
        "{" + entry("fc1.weight", "[2,3]", 0, 24) + "," + entry("fc1.bias", "[2]", 24, 32) + "," +
        entry("fc01.weight", "[2,2]", 32, 48) + "," + entry("fc01.bias", "[2]", 48, 56) + "}";
    CHECK_REJECTS(file_of(same_index, floats(small_values())), "both claim layer 1");
  }

  TEST_CASE("metadata must map strings to strings") {
    const auto data = floats(small_values());
    CHECK_REJECTS(file_of(small_header(",\"__metadata__\":{\"epochs\":5}"), data),
                  "__metadata__ value 'epochs' must be a string, got 5");
    CHECK_REJECTS(file_of(small_header(",\"__metadata__\":[]"), data),
                  "__metadata__ must be an object");
  }

  TEST_CASE("non-finite weights and biases are named") {
    auto v = small_values();
    v[4] = std::numeric_limits<float>::quiet_NaN();
    CHECK_REJECTS(file_of(small_header(), floats(v)), "tensor 'fc1.weight' has a non-finite value");
    v = small_values();
    v[13] = std::numeric_limits<float>::infinity();
    CHECK_REJECTS(file_of(small_header(), floats(v)), "tensor 'fc2.bias' has a non-finite value");
  }

  TEST_CASE("arbitrary corruptions either load or throw invalid_argument, never anything else") {
    const auto valid = save_mlp(load(small_file()), {{"format", "pt"}});
    Rng rng(2);
    std::size_t loaded = 0, rejected = 0;
    auto attempt = [&](const std::vector<uint8_t>& f) {
      try {
        load(f);
        ++loaded;
      } catch (const std::invalid_argument&) {
        ++rejected;
      }
    };
    for (std::size_t n = 0; n < valid.size(); ++n)
      attempt(std::vector<uint8_t>(valid.begin(), valid.begin() + n));
    for (int trial = 0; trial < 3000; ++trial) {
      auto f = valid;
      const auto edits = 1 + rng.below(4);
      for (uint64_t e = 0; e < edits; ++e) {
        const auto at = rng.below(f.size());
        switch (rng.below(3)) {
        case 0: f[at] = uint8_t(rng.below(256)); break;
        case 1: f.erase(f.begin() + at); break;
        default: f.insert(f.begin() + at, uint8_t(rng.below(256))); break;
        }
      }
      attempt(f);
    }
    for (int trial = 0; trial < 500; ++trial) {
      std::vector<uint8_t> noise(rng.below(64));
      for (auto& b : noise)
        b = uint8_t(rng.below(256));
      attempt(noise);
    }
    CHECK(rejected > 3000);
    CHECK(loaded > 0); // byte flips inside the weights still give a valid file
  }

  TEST_CASE("fingerprint is FNV-1a 64") {
    CHECK(fingerprint({}) == "fnv1a64:cbf29ce484222325");
    CHECK(fingerprint({'a'}) == "fnv1a64:af63dc4c8601ec8c");
  }

  TEST_CASE("file helpers name the path") {
    CHECK_THROWS_WITH_AS(load_mlp_file("/nonexistent/model.safetensors"),
                         doctest::Contains("cannot open '/nonexistent/model.safetensors'"),
                         std::runtime_error);
  }
}
