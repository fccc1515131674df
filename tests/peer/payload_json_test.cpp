#include "aip/peer/payload_json.hpp"

#include <gtest/gtest.h>

namespace aip::peer {
namespace {

TEST(PayloadJson, MapRoundTripsThroughMessagePack) {
    const auto bytes = json_text_to_msgpack(R"({"action":"echo","data":[1,"two",{"three":3.5}]})");
    ASSERT_TRUE(bytes.has_value());

    const auto decoded = msgpack_to_json(*bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ((*decoded)["action"], "echo");
    EXPECT_EQ((*decoded)["data"][1], "two");
    EXPECT_DOUBLE_EQ((*decoded)["data"][2]["three"].get<double>(), 3.5);
}

TEST(PayloadJson, MapIsEncodedAsMessagePackFixmap) {
    const auto bytes = json_text_to_msgpack(R"({"a":1})");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(*bytes, std::string("\x81\xa1" "a" "\x01", 4));
}

TEST(PayloadJson, InvalidJsonIsRejected) {
    EXPECT_FALSE(json_text_to_msgpack("{action:echo}").has_value());
}

TEST(PayloadJson, TruncatedMessagePackIsRejected) {
    const auto bytes = json_text_to_msgpack(R"({"key":"value"})");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_FALSE(msgpack_to_json(bytes->substr(0, bytes->size() - 1)).has_value());
}

TEST(PayloadJson, TrailingBytesAreRejected) {
    const auto bytes = json_text_to_msgpack("1");
    ASSERT_TRUE(bytes.has_value());
    EXPECT_FALSE(msgpack_to_json(*bytes + "\x01").has_value());
}

TEST(PayloadJson, InvalidUtf8IsReplacedWhenDumped) {
    const nlohmann::json value = std::string("ok\xff");
    EXPECT_EQ(dump_json_line(value), "\"ok\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace aip::peer
