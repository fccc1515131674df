#include "process_stats.hpp"

#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace aip::bench {

std::chrono::nanoseconds thread_cpu_time() noexcept {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds{now.tv_sec} + std::chrono::nanoseconds{now.tv_nsec};
}

std::chrono::nanoseconds process_cpu_time(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream file(path);
    std::string content;
    if (!file || !std::getline(file, content)) {
        throw std::runtime_error("cannot read " + path);
    }

    // The command name in field 2 may contain spaces, so fields are counted after its ')'.
    const auto close = content.rfind(')');
    std::istringstream fields(content.substr(close + 2));
    std::string field;
    long long user_ticks = 0;
    long long system_ticks = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14) {
            user_ticks = std::stoll(field);
        } else if (index == 15) {
            system_ticks = std::stoll(field);
            break;
        }
    }
    const long ticks_per_second = sysconf(_SC_CLK_TCK);
    return std::chrono::nanoseconds{(user_ticks + system_ticks) * 1'000'000'000LL / ticks_per_second};
}

std::int64_t resident_bytes(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    std::ifstream file(path);
    if (!file) {
        throw std::runtime_error("cannot read " + path);
    }
    std::string line;
    while (std::getline(file, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoll(line.substr(6)) * 1024;
        }
    }
    throw std::runtime_error("no VmRSS line in " + path);
}

std::int64_t heap_bytes_in_use() noexcept {
    const struct mallinfo2 info = mallinfo2();
    return static_cast<std::int64_t>(info.uordblks + info.hblkhd);
}

}  // namespace aip::bench
