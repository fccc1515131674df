// Feeds random and mutated frame sets to decode(), which must return a value and never throw.

#include <gtest/gtest.h>

#include <random>

#include "aip/proto/codec.hpp"

namespace aip::proto {
namespace {

using namespace std::chrono_literals;

// Fixed seed, so every run checks the same inputs and a failure reproduces.
constexpr std::uint32_t kSeed = 20240611;
constexpr int kRandomRounds = 3000;
constexpr int kMutationRounds = 5000;

std::vector<Frames> valid_seeds() {
    Registered registered;
    registered.session_token = "session";

    QueryReply reply;
    reply.request_id = 3;
    reply.devices.push_back(DeviceInfo{"dev-1", "CONNECTED", {"gpu"}, 2, 1, 40ms});
    reply.tasks.push_back(TaskInfo{"t-1", "cli-1", "RUNNING", "", "dev-1", 1});

    const std::vector<Message> messages{
        Register{Role::Device, "dev-1", {"gpu", "cpu"}, 4, std::string("token")},
        registered,
        Heartbeat{},
        Error{"bad_signature", "frame 0", std::uint8_t{1}, std::string("t-1"), {1, 2}},
        Submit{"t-1", std::nullopt, std::string("gpu"), 5s, 3, false, "input"},
        TaskUpdate{"t-1", "FAILED", true, 2, "task_error", "dev-1", "boom", std::string("out")},
        reply,
        Event{"task", "t-1", "RUNNING", "", "dev-1", "cli-1", 1},
        Assign{"t-1", 1, 1s, "input"},
        Result{"t-1", 1, true, "", std::string("output")},
        Abort{"t-1", 1, "deadline_exceeded"},
    };

    std::vector<Frames> seeds;
    for (const auto& message : messages) {
        seeds.push_back(encode(message));
    }
    return seeds;
}

std::string random_bytes(std::mt19937& random, std::size_t max_size) {
    std::uniform_int_distribution<std::size_t> size_of(0, max_size);
    std::uniform_int_distribution<int> byte_of(0, 255);
    std::string bytes(size_of(random), '\0');
    for (auto& byte : bytes) {
        byte = static_cast<char>(byte_of(random));
    }
    return bytes;
}

// Applies one random edit: flip, overwrite, insert or erase a byte, truncate, or append noise.
void mutate(std::string& frame, std::mt19937& random) {
    std::uniform_int_distribution<int> kind_of(0, 5);
    std::uniform_int_distribution<int> byte_of(0, 255);
    const int kind = kind_of(random);
    const std::size_t position =
        frame.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, frame.size() - 1)(random);

    switch (kind) {
        case 0:
            if (!frame.empty()) frame[position] ^= static_cast<char>(1 << (byte_of(random) % 8));
            break;
        case 1:
            if (!frame.empty()) frame[position] = static_cast<char>(byte_of(random));
            break;
        case 2: frame.insert(frame.begin() + position, static_cast<char>(byte_of(random))); break;
        case 3:
            if (!frame.empty()) frame.erase(position, 1);
            break;
        case 4: frame.resize(position); break;
        default: frame += random_bytes(random, 8); break;
    }
}

// Returns true when decode() returned without throwing; the result itself may be anything.
bool decodes_without_throwing(const Frames& frames) {
    try {
        const auto result = decode(frames, DecodeOptions{4096});
        if (const auto* error = std::get_if<DecodeError>(&result)) {
            return !error->message.empty();
        }
        return true;
    } catch (...) {
        return false;
    }
}

TEST(DecodeRobustness, RandomFrameSetsNeverThrow) {
    std::mt19937 random{kSeed};
    std::uniform_int_distribution<int> frame_count_of(0, 6);
    std::uniform_int_distribution<int> coin(0, 1);
    constexpr std::uint8_t kCommands[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x12, 0x13,
                                          0x14, 0x15, 0x16, 0x17, 0x20, 0x21, 0x22, 0x23};
    std::uniform_int_distribution<std::size_t> command_of(0, std::size(kCommands) - 1);

    for (int round = 0; round < kRandomRounds; ++round) {
        Frames frames;
        const int count = frame_count_of(random);
        for (int i = 0; i < count; ++i) {
            frames.push_back(random_bytes(random, 64));
        }
        // Half the rounds get a valid header with a random known command, so the body parser
        // and that command's validator run on the random bytes.
        if (count >= 3 && coin(random) == 1) {
            frames[0] = std::string(kSignature);
            frames[1] = std::string(1, static_cast<char>(kCommands[command_of(random)]));
        }
        ASSERT_TRUE(decodes_without_throwing(frames)) << "round " << round;
    }
}

TEST(DecodeRobustness, MutatedValidMessagesNeverThrow) {
    std::mt19937 random{kSeed};
    const std::vector<Frames> seeds = valid_seeds();
    std::uniform_int_distribution<std::size_t> seed_of(0, seeds.size() - 1);
    std::uniform_int_distribution<int> edits_of(1, 4);

    for (int round = 0; round < kMutationRounds; ++round) {
        Frames frames = seeds[seed_of(random)];
        const int edits = edits_of(random);
        for (int edit = 0; edit < edits; ++edit) {
            // Mostly the body, where parsing is hardest, sometimes any frame.
            const std::size_t target =
                std::uniform_int_distribution<int>(0, 3)(random) == 0
                    ? std::uniform_int_distribution<std::size_t>(0, frames.size() - 1)(random)
                    : 2;
            mutate(frames[target], random);
        }
        ASSERT_TRUE(decodes_without_throwing(frames)) << "round " << round;
    }
}

TEST(DecodeRobustness, MutatedMessagesStillRejectOrDecode) {
    // Sanity check that the mutation loop reaches both outcomes, so it exercises the validator
    // and not only the frame checks.
    std::mt19937 random{kSeed};
    const std::vector<Frames> seeds = valid_seeds();
    int decoded = 0;
    int rejected = 0;
    for (int round = 0; round < 1000; ++round) {
        Frames frames = seeds[static_cast<std::size_t>(round) % seeds.size()];
        mutate(frames[2], random);
        if (std::holds_alternative<Message>(decode(frames))) {
            ++decoded;
        } else {
            ++rejected;
        }
    }
    EXPECT_GT(decoded, 0);
    EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace aip::proto
