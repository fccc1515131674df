// Driver for fuzz targets built without libFuzzer: runs every file given on the command line,
// then a fixed number of inputs from a seeded generator, so that CI exercises the target
// deterministically. A violated invariant aborts the process, which fails the test.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    int runs = 2000;
    std::uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument.rfind("--runs=", 0) == 0) {
            runs = std::atoi(argument.c_str() + 7);
            continue;
        }
        if (argument.rfind("--seed=", 0) == 0) {
            seed = std::strtoull(argument.c_str() + 7, nullptr, 10);
            continue;
        }
        std::ifstream file(argument, std::ios::binary);
        if (!file) {
            std::fprintf(stderr, "cannot read input file '%s'\n", argument.c_str());
            return 2;
        }
        const std::vector<std::uint8_t> input((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }

    std::mt19937_64 random(seed);
    for (int run = 0; run < runs; ++run) {
        std::vector<std::uint8_t> input(random() % 2048);
        for (auto& byte : input) {
            byte = static_cast<std::uint8_t>(random());
        }
        LLVMFuzzerTestOneInput(input.data(), input.size());
    }
    std::printf("%d generated inputs passed (seed %llu)\n", runs, static_cast<unsigned long long>(seed));
    return 0;
}
