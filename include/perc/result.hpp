// perc — result<T>: a value or an errc, with std::expected's member names.
#pragma once

#include <perc/config.hpp>
#include <perc/errc.hpp>

#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace perc {

/// Tag of result's fill-in-place constructor.
struct fill_in_place_t {
    explicit fill_in_place_t() = default;
};
inline constexpr fill_in_place_t fill_in_place{};

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
    /// Constructs the value from what `make()` returns, in place: the T is built directly in
    /// the result (guaranteed copy elision), never as a temporary that is then moved. For
    /// hot paths returning a struct filled field by field, whose move would reload the
    /// fields in wider words than they were stored in.
    template <class F>
    requires std::is_same_v<std::invoke_result_t<F&>, T>
    constexpr result(std::in_place_t, F&& make) noexcept(std::is_nothrow_invocable_v<F&>)
        : value_(make()), has_(true)
    {
    }
    /// Default-constructs the value in place and lets `fill(T&)` write it; if fill returns
    /// an error, the value is destroyed and the result holds that error instead. For hot
    /// paths whose value is produced piece by piece by calls that can still fail (so it
    /// cannot be built as one prvalue), without a local T that would then be moved in.
    template <class F>
    requires std::is_same_v<std::invoke_result_t<F&, T&>, errc> &&
        std::is_nothrow_default_constructible_v<T>
    constexpr result(fill_in_place_t, F&& fill) noexcept(std::is_nothrow_invocable_v<F&, T&>)
        : has_(true)
    {
        // Default-initialised, not value-initialised: T's own member initialisers run, but
        // the object is not first zeroed whole (GCC does that with `rep stos`, whose start-up
        // cost alone is tens of cycles). Constant evaluation needs construct_at.
        if (std::is_constant_evaluated()) std::construct_at(&value_);
        else ::new (static_cast<void*>(&value_)) T;
        if (const errc e = fill(value_); e != errc::ok) {
            value_.~T();
            std::construct_at(&error_, e);
            has_ = false;
        }
    }

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
