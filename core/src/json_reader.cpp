#include "json_reader.hpp"

#include <algorithm>
#include <map>

namespace lmul::json_reader {

namespace {

class Reader {
public:
  Reader(const uint8_t* data, std::size_t size) : p_(data), begin_(data), end_(data + size) {}

  Value document() {
    // As nlohmann::json: a leading UTF-8 byte order mark is skipped, and a NUL
    // byte after the value ends the input (so NUL padding is accepted).
    if (end_ - p_ >= 3 && p_[0] == 0xef && p_[1] == 0xbb && p_[2] == 0xbf)
      p_ += 3;
    skip_space();
    Value v = value(0);
    skip_space();
    if (p_ != end_ && *p_ != 0)
      fail("unexpected text after the JSON value");
    return v;
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError(what + " at byte " + std::to_string(p_ - begin_));
  }

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }

  void expect(char c, const char* what) {
    if (p_ == end_ || *p_ != uint8_t(c))
      fail(p_ == end_ ? std::string("unexpected end of input, expected ") + what
                      : std::string("expected ") + what);
    ++p_;
  }

  Value value(int depth) {
    if (p_ == end_)
      fail("unexpected end of input, expected a value");
    switch (*p_) {
    case '{': return object(depth + 1);
    case '[': return array(depth + 1);
    case '"': {
      Value v;
      v.kind = Value::Kind::string;
      v.text = string();
      return v;
    }
    case 't': return literal("true", Value::Kind::boolean, true);
    case 'f': return literal("false", Value::Kind::boolean, false);
    case 'n': return literal("null", Value::Kind::null, false);
    default:
      if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))
        return number();
      fail("unexpected character, expected a value");
    }
  }

  Value literal(const char* word, Value::Kind kind, bool b) {
    for (const char* w = word; *w; ++w, ++p_)
      if (p_ == end_ || *p_ != uint8_t(*w))
        fail(std::string("invalid literal, expected '") + word + "'");
    Value v;
    v.kind = kind;
    v.boolean = b;
    return v;
  }

  void check_depth(int depth) const {
    if (depth > kMaxDepth)
      fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  Value object(int depth) {
    check_depth(depth);
    ++p_; // '{'
    Value v;
    v.kind = Value::Kind::object;
    skip_space();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return v;
    }
    std::map<std::string, Value> members; // sorted
    for (;;) {
      skip_space();
      if (p_ == end_ || *p_ != '"')
        fail(p_ == end_ ? "unexpected end of input, expected a member name"
                        : "expected a member name (a string)");
      const std::size_t at = std::size_t(p_ - begin_);
      std::string key = string();
      if (members.count(key))
        throw DuplicateKey(key, at);
      skip_space();
      expect(':', "':' after a member name");
      skip_space();
      members[std::move(key)] = value(depth);
      skip_space();
      if (p_ != end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      expect('}', "',' or '}' in an object");
      break;
    }
    v.members.reserve(members.size());
    for (auto& m : members)
      v.members.emplace_back(m.first, std::move(m.second));
    return v;
  }

  Value array(int depth) {
    check_depth(depth);
    ++p_; // '['
    Value v;
    v.kind = Value::Kind::array;
    skip_space();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return v;
    }
    for (;;) {
      skip_space();
      v.items.push_back(value(depth));
      skip_space();
      if (p_ != end_ && *p_ == ',') {
        ++p_;
        continue;
      }
      expect(']', "',' or ']' in an array");
      break;
    }
    return v;
  }

  bool digit() const { return p_ != end_ && *p_ >= '0' && *p_ <= '9'; }

  Value number() {
    const uint8_t* start = p_;
    Value v;
    v.kind = Value::Kind::number;
    const bool negative = *p_ == '-';
    if (negative)
      ++p_;
    if (!digit())
      fail("invalid number, expected a digit");
    bool fits = true;
    uint64_t u = 0;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (digit()) {
        const uint64_t d = uint64_t(*p_ - '0');
        if (u > (UINT64_MAX - d) / 10)
          fits = false;
        else
          u = u * 10 + d;
        ++p_;
      }
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!digit())
        fail("invalid number, expected a digit after '.'");
      while (digit())
        ++p_;
      integer = false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (!digit())
        fail("invalid number, expected a digit in the exponent");
      while (digit())
        ++p_;
      integer = false;
    }
    v.text.assign(start, p_);
    v.is_unsigned = !negative && integer && fits;
    v.unsigned_value = v.is_unsigned ? u : 0;
    return v;
  }

  unsigned hex4() {
    unsigned c = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      if (p_ == end_)
        fail("unexpected end of input in a \\u escape");
      const uint8_t h = *p_;
      const int d = h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : -1;
      if (d < 0)
        fail("invalid \\u escape, expected 4 hex digits");
      c = c * 16 + unsigned(d);
    }
    return c;
  }

  static void append_utf8(std::string& s, unsigned c) {
    if (c < 0x80) {
      s += char(c);
    } else if (c < 0x800) {
      s += char(0xc0 | (c >> 6));
      s += char(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      s += char(0xe0 | (c >> 12));
      s += char(0x80 | ((c >> 6) & 0x3f));
      s += char(0x80 | (c & 0x3f));
    } else {
      s += char(0xf0 | (c >> 18));
      s += char(0x80 | ((c >> 12) & 0x3f));
      s += char(0x80 | ((c >> 6) & 0x3f));
      s += char(0x80 | (c & 0x3f));
    }
  }

  // Length of the valid UTF-8 sequence at p_ (RFC 3629: no overlongs, no
  // surrogates, at most U+10FFFF), or 0.
  std::size_t utf8_length() const {
    const std::size_t left = std::size_t(end_ - p_);
    const uint8_t b = p_[0];
    auto cont = [&](std::size_t i, uint8_t lo = 0x80, uint8_t hi = 0xbf) {
      return i < left && p_[i] >= lo && p_[i] <= hi;
    };
    if (b >= 0xc2 && b <= 0xdf)
      return cont(1) ? 2 : 0;
    if (b == 0xe0)
      return cont(1, 0xa0) && cont(2) ? 3 : 0;
    if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef)
      return cont(1) && cont(2) ? 3 : 0;
    if (b == 0xed)
      return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
    if (b == 0xf0)
      return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (b >= 0xf1 && b <= 0xf3)
      return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (b == 0xf4)
      return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
    return 0;
  }

  std::string string() {
    ++p_; // '"'
    std::string s;
    for (;;) {
      if (p_ == end_)
        fail("unexpected end of input in a string");
      const uint8_t c = *p_;
      if (c == '"') {
        ++p_;
        return s;
      }
      if (c < 0x20)
        fail("control character in a string (must be escaped)");
      if (c == '\\') {
        ++p_;
        if (p_ == end_)
          fail("unexpected end of input in a string");
        const uint8_t e = *p_++;
        switch (e) {
        case '"': s += '"'; break;
        case '\\': s += '\\'; break;
        case '/': s += '/'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xdc00 && cp <= 0xdfff)
            fail("invalid \\u escape: a low surrogate without a high one");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              fail("invalid \\u escape: a high surrogate without a low one");
            p_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff)
              fail("invalid \\u escape: a high surrogate without a low one");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          append_utf8(s, cp);
          break;
        }
        default: --p_; fail("invalid escape in a string");
        }
        continue;
      }
      if (c < 0x80) {
        s += char(c);
        ++p_;
        continue;
      }
      const std::size_t n = utf8_length();
      if (n == 0)
        fail("invalid UTF-8 in a string");
      s.append(reinterpret_cast<const char*>(p_), n);
      p_ += n;
    }
  }

  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
};

} // namespace

const char* Value::type_name() const {
  switch (kind) {
  case Kind::null: return "null";
  case Kind::boolean: return "boolean";
  case Kind::number: return "number";
  case Kind::string: return "string";
  case Kind::array: return "array";
  default: return "object";
  }
}

const Value* Value::find(const std::string& key) const {
  const auto it = std::lower_bound(members.begin(), members.end(), key,
                                   [](const auto& m, const std::string& k) { return m.first < k; });
  return it != members.end() && it->first == key ? &it->second : nullptr;
}

std::string Value::dump_scalar() const {
  switch (kind) {
  case Kind::null: return "null";
  case Kind::boolean: return boolean ? "true" : "false";
  case Kind::number: return text;
  case Kind::string: {
    std::string out = "\"";
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20) {
        out += "\\u00";
        out += "0123456789abcdef"[c >> 4];
        out += "0123456789abcdef"[c & 15];
      } else {
        out += ch;
      }
    }
    return out + "\"";
  }
  default: return is_array() ? "[...]" : "{...}";
  }
}

Value parse(const uint8_t* data, std::size_t size) { return Reader(data, size).document(); }

} // namespace lmul::json_reader
