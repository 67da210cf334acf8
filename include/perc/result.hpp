// perc — result<T>: a value or an errc, with std::expected's member names.
#pragma once

#include <perc/config.hpp>
#include <perc/errc.hpp>

#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace perc {

/// A T or an errc (never errc::ok). Accessing the wrong alternative is a
/// contract violation (PERC_ASSERT), not undefined behaviour.
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T>, "result<T&> is not supported");

public:
    constexpr result(const T& v) noexcept(std::is_nothrow_copy_constructible_v<T>)
        : value_(v), has_(true)
    {
    }
    constexpr result(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>)
        : value_(std::move(v)), has_(true)
    {
    }
    constexpr result(errc e) noexcept : error_(e), has_(false) { PERC_ASSERT(e != errc::ok); }

    constexpr result(const result& o) noexcept(std::is_nothrow_copy_constructible_v<T>)
        : has_(o.has_)
    {
        if (has_) std::construct_at(&value_, o.value_);
        else error_ = o.error_;
    }
    constexpr result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : has_(o.has_)
    {
        if (has_) std::construct_at(&value_, std::move(o.value_));
        else error_ = o.error_;
    }
    result& operator=(const result&) = delete;
    result& operator=(result&&) = delete;
    constexpr ~result()
    {
        if (has_) value_.~T();
    }

    constexpr bool has_value() const noexcept { return has_; }
    constexpr explicit operator bool() const noexcept { return has_; }

    constexpr T& value() & noexcept
    {
        PERC_ASSERT(has_);
        return value_;
    }
    constexpr const T& value() const& noexcept
    {
        PERC_ASSERT(has_);
        return value_;
    }
    constexpr T&& value() && noexcept
    {
        PERC_ASSERT(has_);
        return std::move(value_);
    }
    constexpr T& operator*() & noexcept { return value(); }
    constexpr const T& operator*() const& noexcept { return value(); }
    constexpr T* operator->() noexcept { return &value(); }
    constexpr const T* operator->() const noexcept { return &value(); }

    /// The error; errc::ok when a value is held.
    constexpr errc error() const noexcept { return has_ ? errc::ok : error_; }

    template <class U>
    constexpr T value_or(U&& fallback) const&
    {
        return has_ ? value_ : static_cast<T>(std::forward<U>(fallback));
    }

private:
    union {
        T value_;
        errc error_;
    };
    bool has_;
};

} // namespace perc
