// SPDX-License-Identifier: Apache-2.0
// spk::executor: the one threading interface kernels use (parallel_for over independent work
// items). An engine plugs in its own pool by deriving from it; the default is OpenMP when the
// consumer compiles with OpenMP enabled and serial otherwise.
#pragma once

#include <atomic>
#include <type_traits>
#include <utility>

#include "spk/core/config.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

SPK_BEGIN_NAMESPACE

/// Non-owning reference to a callable `void(index_t)`; two words, no allocation.
class index_fn_ref {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, index_fn_ref>>>
  index_fn_ref(F&& f) noexcept  // NOLINT: implicit by design, like std::function_ref
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, index_t i) { (*static_cast<std::remove_reference_t<F>*>(o))(i); }) {}
  void operator()(index_t i) const { call_(obj_, i); }

 private:
  void* obj_;
  void (*call_)(void*, index_t);
};

/// Runs independent work items. Contract for implementations: call fn(i) exactly once for each
/// i in [0, n), in any order and on any thread, and return only when all calls have returned.
/// Kernels give each item a disjoint slice of the output, so no synchronisation is needed
/// inside fn. fn must not throw (kernels on validated formats do not).
class executor {
 public:
  virtual ~executor() = default;
  /// Upper bound on how many items run at once; drivers use it to size work splits.
  virtual int concurrency() const noexcept = 0;
  virtual void parallel_for(index_t n, index_fn_ref fn) = 0;
};

/// Runs every item on the calling thread, in order.
class serial_executor final : public executor {
 public:
  int concurrency() const noexcept override { return 1; }
  void parallel_for(index_t n, index_fn_ref fn) override {
    for (index_t i = 0; i < n; ++i) fn(i);
  }
};

#ifdef _OPENMP
/// OpenMP executor; `threads` <= 0 means omp_get_max_threads() at each call. Dynamic schedule
/// with chunk 1: work items are coarse (tiles of a layer) and their costs differ with sparsity.
class openmp_executor final : public executor {
 public:
  explicit openmp_executor(int threads = 0) noexcept : threads_(threads) {}
  int concurrency() const noexcept override { return threads_ > 0 ? threads_ : omp_get_max_threads(); }
  void parallel_for(index_t n, index_fn_ref fn) override {
    const int t = concurrency();
    if (t <= 1 || n <= 1) {
      for (index_t i = 0; i < n; ++i) fn(i);
      return;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(t)
    for (index_t i = 0; i < n; ++i) fn(i);
  }
  void set_threads(int threads) noexcept { threads_ = threads; }

 private:
  int threads_;
};
#endif

namespace detail {
inline executor& builtin_executor() {
#ifdef _OPENMP
  static openmp_executor ex;
#else
  static serial_executor ex;
#endif
  return ex;
}
inline std::atomic<executor*>& default_executor_slot() {
  static std::atomic<executor*> slot{nullptr};
  return slot;
}
}  // namespace detail

/// The executor kernels use when none is passed: the user's if set, else the built-in one.
inline executor& default_executor() {
  executor* e = detail::default_executor_slot().load(std::memory_order_acquire);
  return e ? *e : detail::builtin_executor();
}
/// Installs `e` (not owned; must outlive its use) as the default; nullptr restores the built-in.
inline void set_default_executor(executor* e) noexcept {
  detail::default_executor_slot().store(e, std::memory_order_release);
}

SPK_END_NAMESPACE
