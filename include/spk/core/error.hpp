// SPDX-License-Identifier: Apache-2.0
// The error model: spk::error (a std::runtime_error with a code) and the helpers that build
// messages naming the function, the argument, its value and what was expected.
// With SPK_NO_EXCEPTIONS defined, the same paths call an error handler that prints and aborts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "spk/core/config.hpp"

SPK_BEGIN_NAMESPACE

/// What kind of contract was broken.
enum class errc {
  invalid_argument = 1,  ///< a value outside its documented range (zero size, negative stride)
  shape_mismatch,        ///< two arguments whose shapes do not agree
  out_of_range,          ///< an index or offset outside its array
  overflow,              ///< a size product that does not fit index_t / size_t
  bad_format,            ///< a malformed compressed format or file
  io,                    ///< file could not be read or written
  opencl,                ///< an OpenCL call failed (message carries the CL status / build log)
  unsupported,           ///< valid input that this build or device cannot run
};

/// Short stable name of a code ("invalid_argument", ...), used in messages and tests.
inline const char* to_string(errc c) noexcept {
  switch (c) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::shape_mismatch:
      return "shape_mismatch";
    case errc::out_of_range:
      return "out_of_range";
    case errc::overflow:
      return "overflow";
    case errc::bad_format:
      return "bad_format";
    case errc::io:
      return "io";
    case errc::opencl:
      return "opencl";
    case errc::unsupported:
      return "unsupported";
  }
  return "unknown";
}

/// The one exception type spk throws. what() is a full sentence; code() is machine-readable.
class error : public std::runtime_error {
 public:
  error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

/// Called instead of throwing when exceptions are off. Must not return.
using error_handler = void (*)(errc code, const char* message);

namespace detail {
[[noreturn]] inline void default_error_handler(errc code, const char* message) {
  std::fprintf(stderr, "spk fatal error [%s]: %s\n", to_string(code), message);
  std::fflush(stderr);
  std::abort();
}
inline error_handler& error_handler_slot() noexcept {
  static error_handler handler = &default_error_handler;
  return handler;
}
}  // namespace detail

/// Installs the handler used under SPK_NO_EXCEPTIONS; returns the previous one. If the handler
/// returns, spk aborts anyway: no kernel continues past a broken contract.
inline error_handler set_error_handler(error_handler h) noexcept {
  error_handler old = detail::error_handler_slot();
  detail::error_handler_slot() = h ? h : &detail::default_error_handler;
  return old;
}

/// Raises `code` with `message`: throws spk::error, or calls the handler then aborts.
[[noreturn]] inline void raise(errc code, const std::string& message) {
#ifdef SPK_NO_EXCEPTIONS
  detail::error_handler_slot()(code, message.c_str());
  std::abort();
#else
  throw error(code, message);
#endif
}

namespace detail {
template <class T>
void append_value(std::ostringstream& os, const T& v) {
  if constexpr (std::is_same_v<T, bool>)
    os << (v ? "true" : "false");
  else if constexpr (std::is_invocable_v<const T&>)
    os << v();  // a value composed only on failure (see require)
  else
    os << v;
}
}  // namespace detail

/// Raises with the standard message "spk: <where>: argument '<arg>' = <value>: expected <what>".
template <class V>
[[noreturn]] void raise_arg(errc code, std::string_view where, std::string_view arg, const V& value,
                            std::string_view expected) {
  std::ostringstream os;
  os << "spk: " << where << ": argument '" << arg << "' = ";
  detail::append_value(os, value);
  os << ": expected " << expected;
  raise(code, os.str());
}

namespace detail {
/// A message part: a string-like value as is, or a callable returning one, called only when
/// the message is built.
template <class T>
decltype(auto) message_part(const T& x) {
  if constexpr (std::is_invocable_v<const T&>)
    return std::string(x());
  else
    return (x);
}
}  // namespace detail

/// Checks `cond`; otherwise raises invalid_argument naming the argument. The value is only
/// formatted on failure, so the check costs one branch. `arg` and `expected` are strings or
/// callables returning one: a name or an expectation that must be composed (a dimension
/// name, a number in the text) goes in a lambda on the per-call paths of the kernels, where
/// composing it eagerly cost about 0.5 us a check set.
template <class V, class A, class E>
inline void require(bool cond, std::string_view where, const A& arg, const V& value,
                    const E& expected, errc code = errc::invalid_argument) {
  if (!cond)
    raise_arg(code, where, std::string_view(detail::message_part(arg)), value,
              std::string_view(detail::message_part(expected)));
}

SPK_END_NAMESPACE
