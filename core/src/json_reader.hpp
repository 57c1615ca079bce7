// A small strict JSON reader (RFC 8259) for safetensors headers. It replaces nlohmann::json on
// the reading path because that library was a third of the npm package's .wasm (about 100 KB
// of 300 KB at -O3), against a 200 KB budget. It reads all of JSON, not a subset: UTF-8 is
// validated, \u escapes (with surrogate pairs) are decoded, numbers follow the JSON grammar.
// Where nlohmann::json accepts more, so does this reader: a leading UTF-8 byte order mark is
// skipped and a NUL byte after the value ends the input. Objects are sorted by key, as
// nlohmann::json's std::map is. Unlike it, a key repeated in one object is an error
// (DuplicateKey) rather than "the last value wins": RFC 8259 leaves the meaning of repeated names
// open and readers differ on which value they keep, so a header that names a tensor or a field
// twice says two things; nesting is limited to kMaxDepth levels (a header needs 3), so the
// recursive descent cannot exhaust the stack; and numbers beyond the double range are kept as
// text instead of being rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace lmul::json_reader {

constexpr int kMaxDepth = 64;

// Thrown for input that is not JSON; what() says what is wrong and at which
// byte.
class ParseError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Thrown for an object that has the same key twice: the key, and the byte where it appears
// again.
class DuplicateKey : public ParseError {
public:
  DuplicateKey(const std::string& key, std::size_t byte)
      : ParseError("the key '" + key + "' appears twice in one object (again at byte " +
                   std::to_string(byte) + ")"),
        key_(key) {}
  const std::string& key() const { return key_; }

private:
  std::string key_;
};

struct Value {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;         // a string's decoded UTF-8, or a number as written
  bool is_unsigned = false; // a number without sign, fraction or exponent that fits in uint64
  uint64_t unsigned_value = 0;
  std::vector<Value> items;                           // array elements
  std::vector<std::pair<std::string, Value>> members; // object members, sorted, unique keys

  bool is_object() const { return kind == Kind::object; }
  bool is_array() const { return kind == Kind::array; }
  bool is_string() const { return kind == Kind::string; }
  bool is_structured() const { return is_object() || is_array(); }
  // nlohmann::json's names: "null", "boolean", "number", "string", "array",
  // "object".
  const char* type_name() const;
  // The member named key of an object, or nullptr.
  const Value* find(const std::string& key) const;
  // Compact JSON text of a scalar (strings quoted and escaped, numbers as
  // written).
  std::string dump_scalar() const;
};

// Parses exactly one JSON value spanning [data, data + size) (whitespace around
// it allowed).
Value parse(const uint8_t* data, std::size_t size);

} // namespace lmul::json_reader
