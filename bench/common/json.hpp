// SPDX-License-Identifier: Apache-2.0
// A minimal streaming JSON writer (objects, arrays, strings, numbers, null) for benchmark
// reports; no external dependency. Non-finite numbers are written as null, as JSON requires.
#pragma once

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

namespace spk_bench {

class json_writer {
 public:
  explicit json_writer(std::ostream& os) : os_(os) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }
  /// Starts a member of the current object; follow it with one value (or begin_*).
  json_writer& key(const std::string& k) {
    separate();
    string_literal(k);
    os_ << ": ";
    after_key_ = true;
    return *this;
  }
  json_writer& value(const std::string& s) { return separate(), string_literal(s), *this; }
  json_writer& value(const char* s) { return value(std::string(s)); }
  json_writer& value(double x) {
    separate();
    if (!std::isfinite(x)) {
      os_ << "null";
    } else {
      // 7 significant digits: far finer than any measurement here, and readable.
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.7g", x);
      os_ << buf;
    }
    return *this;
  }
  json_writer& value(int x) { return separate(), os_ << x, *this; }
  json_writer& value(long x) { return separate(), os_ << x, *this; }
  json_writer& value(long long x) { return separate(), os_ << x, *this; }
  json_writer& value(bool b) { return separate(), os_ << (b ? "true" : "false"), *this; }
  json_writer& null() { return separate(), os_ << "null", *this; }
  template <class T>
  json_writer& member(const std::string& k, const T& v) {
    return key(k), value(v);
  }

 private:
  json_writer& open(char c) {
    separate();
    os_ << c;
    first_.push_back(true);
    return *this;
  }
  json_writer& close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    os_ << c;
    if (first_.empty()) os_ << '\n';
    return *this;
  }
  // Emits the comma and indentation that precede a new element (none right after a key).
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) os_ << ',';
    first_.back() = false;
    newline();
  }
  void newline() { os_ << '\n' << std::string(2 * first_.size(), ' '); }
  void string_literal(const std::string& s) {
    os_ << '"';
    for (unsigned char c : s) {
      if (c == '"' || c == '\\')
        os_ << '\\' << c;
      else if (c == '\n')
        os_ << "\\n";
      else if (c == '\t')
        os_ << "\\t";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        os_ << buf;
      } else
        os_ << c;
    }
    os_ << '"';
  }

  std::ostream& os_;
  std::vector<bool> first_;  ///< per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace spk_bench
