// A vector that grows without zeroing: for buffers whose every element is written right after
// they are sized (kept errors, transposed weights), where the zeroing was pure cost.
#pragma once

#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace lmul {

// std::allocator, except that construct() without arguments default-initializes (leaves a float
// as it is) instead of value-initializing (writes 0).
template <class T> struct UninitializedAllocator : std::allocator<T> {
  UninitializedAllocator() = default;
  template <class U> UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U> struct rebind { using other = UninitializedAllocator<U>; };
  template <class U> void construct(U* p) noexcept { ::new (static_cast<void*>(p)) U; }
  template <class U, class... Args> void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <class T> using UninitializedVector = std::vector<T, UninitializedAllocator<T>>;

} // namespace lmul
