#include "aip/peer/actions.hpp"

#include <gtest/gtest.h>

#include "aip/peer/payload_json.hpp"

namespace aip::peer {
namespace {

std::variant<Action, std::string> parse_json(const char* text) {
    const auto bytes = json_text_to_msgpack(text);
    EXPECT_TRUE(bytes.has_value()) << text;
    return parse_action(bytes.value_or(""));
}

std::string error_of(const std::variant<Action, std::string>& parsed) {
    const auto* error = std::get_if<std::string>(&parsed);
    return error ? *error : std::string("<parsed without error>");
}

TEST(Actions, SleepParsesMilliseconds) {
    const auto parsed = parse_json(R"({"action":"sleep","ms":250})");
    ASSERT_TRUE(std::holds_alternative<Action>(parsed)) << error_of(parsed);
    const auto* sleep = std::get_if<SleepAction>(&std::get<Action>(parsed));
    ASSERT_NE(sleep, nullptr);
    EXPECT_EQ(sleep->duration, std::chrono::milliseconds(250));
}

TEST(Actions, SleepRejectsNegativeMilliseconds) {
    EXPECT_NE(error_of(parse_json(R"({"action":"sleep","ms":-1})")).find("'ms'"), std::string::npos);
}

TEST(Actions, ExecRejectsNonStringArgument) {
    EXPECT_NE(error_of(parse_json(R"({"action":"exec","argv":["ls",1]})")).find("argv"),
              std::string::npos);
}

TEST(Actions, UnknownActionIsNamed) {
    EXPECT_NE(error_of(parse_json(R"({"action":"dance"})")).find("'dance'"), std::string::npos);
}

TEST(Actions, MissingActionKeyIsReported) {
    EXPECT_NE(error_of(parse_json(R"({"ms":1})")).find("missing key 'action'"), std::string::npos);
}

TEST(Actions, PayloadThatIsNotAMapIsRejected) {
    EXPECT_NE(error_of(parse_json("[1,2]")).find("expected a map"), std::string::npos);
}

TEST(Actions, EchoReturnsData) {
    CancellationToken token;
    const auto handler = make_builtin_handler({});
    const auto outcome = handler(TaskRequest{"t", 1, {}, *json_text_to_msgpack(
                                                             R"({"action":"echo","data":{"k":[1]}})")},
                                 token);
    ASSERT_TRUE(outcome.ok);
    ASSERT_TRUE(outcome.payload.has_value());
    EXPECT_EQ(msgpack_to_json(*outcome.payload), nlohmann::json::parse(R"({"k":[1]})"));
}

TEST(Actions, FailReturnsMessageAsError) {
    CancellationToken token;
    const auto outcome = make_builtin_handler({})(
        TaskRequest{"t", 1, {}, *json_text_to_msgpack(R"({"action":"fail","message":"boom"})")},
        token);
    EXPECT_FALSE(outcome.ok);
    EXPECT_EQ(outcome.error, "boom");
}

TEST(Actions, ExecWithoutPermissionFails) {
    CancellationToken token;
    const auto outcome = make_builtin_handler({})(
        TaskRequest{"t", 1, {}, *json_text_to_msgpack(R"({"action":"exec","argv":["true"]})")},
        token);
    EXPECT_FALSE(outcome.ok);
    EXPECT_NE(outcome.error.find("--allow-exec"), std::string::npos);
}

TEST(Actions, SleepStopsWhenCancelled) {
    CancellationToken token;
    token.cancel();
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = run_action(SleepAction{std::chrono::seconds(30)}, token, {});
    EXPECT_FALSE(outcome.ok);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace aip::peer
