// A value or an error message. C++20 has no std::expected and Debian 12 packs no
// tl::expected, so this is the one small piece written by hand; it is the type
// every wrapper around an external library returns instead of throwing.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace weir {

struct error {
  std::string message;
  // Trying again cannot help (a store that refuses the job itself, not the
  // moment): the caller stops and says so instead of retrying forever.
  bool permanent = false;
};

template <class T>
class expected {
public:
  expected(T value) : data_(std::move(value)) {}
  expected(error err) : data_(std::move(err)) {}

  explicit operator bool() const { return data_.index() == 0; }
  bool has_value() const { return data_.index() == 0; }

  T& value() & {
    assert(has_value());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(data_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const std::string& error_message() const { return std::get<1>(data_).message; }
  const weir::error& failure() const { return std::get<1>(data_); }

private:
  std::variant<T, weir::error> data_;
};

template <>
class expected<void> {
public:
  expected() = default;
  expected(error err) : err_(std::move(err)), ok_(false) {}

  explicit operator bool() const { return ok_; }
  bool has_value() const { return ok_; }
  const std::string& error_message() const { return err_.message; }
  const weir::error& failure() const { return err_; }

private:
  weir::error err_;
  bool ok_ = true;
};

// Runs `fn` and turns any exception it throws into an error prefixed by `what`.
template <class Fn>
auto guarded(std::string_view what, Fn&& fn) -> expected<decltype(fn())> {
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      return {};
    } else {
      return fn();
    }
  } catch (const std::exception& e) {
    return error{std::string{what} + ": " + e.what()};
  }
}

} // namespace weir
