// perc — configuration: the only header that defines macros.
#pragma once

#include <cstdlib>

#define PERC_VERSION_MAJOR 0
#define PERC_VERSION_MINOR 1
#define PERC_VERSION_PATCH 0
#define PERC_VERSION_STRING "0.1.0"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define PERC_HAS_EXCEPTIONS 1
#else
#define PERC_HAS_EXCEPTIONS 0
#endif

namespace perc {

/// Called when a programming contract is broken (never for bad packet input).
/// The handler may log; if it returns, the process aborts.
using assert_handler = void (*)(const char* expression, const char* file, int line) noexcept;

namespace detail {
inline assert_handler& current_assert_handler() noexcept
{
    static assert_handler handler = nullptr;
    return handler;
}

[[noreturn]] inline void assert_failed(const char* expression, const char* file, int line) noexcept
{
    if (assert_handler h = current_assert_handler()) h(expression, file, line);
    std::abort();
}
} // namespace detail

/// Installs `h` as the contract-violation handler; returns the previous one.
/// Thread safety: call before other threads use the library.
inline assert_handler set_assert_handler(assert_handler h) noexcept
{
    assert_handler previous = detail::current_assert_handler();
    detail::current_assert_handler() = h;
    return previous;
}

} // namespace perc

#define PERC_ASSERT(condition)                                                                     \
    ((condition) ? static_cast<void>(0)                                                            \
                 : ::perc::detail::assert_failed(#condition, __FILE__, __LINE__))
