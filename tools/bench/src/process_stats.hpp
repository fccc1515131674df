// CPU time and memory readings of this thread and of child processes (Linux /proc).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>

namespace aip::bench {

// CPU time consumed by the calling thread (CLOCK_THREAD_CPUTIME_ID).
[[nodiscard]] std::chrono::nanoseconds thread_cpu_time() noexcept;

// User plus system CPU time of a process from /proc/PID/stat, in clock ticks' resolution
// (usually 10 ms). Throws std::runtime_error when the file cannot be read.
[[nodiscard]] std::chrono::nanoseconds process_cpu_time(pid_t pid);

// Resident set size of a process in bytes, from VmRSS in /proc/PID/status.
// Throws std::runtime_error when the file cannot be read.
[[nodiscard]] std::int64_t resident_bytes(pid_t pid);

// Bytes in use by malloc in this process (mallinfo2 uordblks plus hblkhd).
[[nodiscard]] std::int64_t heap_bytes_in_use() noexcept;

}  // namespace aip::bench
