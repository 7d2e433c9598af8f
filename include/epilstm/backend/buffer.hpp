// An owning, uninitialized array in a device tag's memory. Growing it discards its contents; it
// never shrinks (the workspace of a model is sized by its largest frame).
#pragma once

#include <epilstm/config.hpp>

#include <cstddef>
#include <utility>

namespace epilstm {

template <class T, class Device>
class buffer {
public:
    buffer() = default;
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;
    buffer(buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    buffer& operator=(buffer&& o) noexcept
    {
        if (this != &o) {
            release();
            p_ = std::exchange(o.p_, nullptr);
            n_ = std::exchange(o.n_, 0);
            cap_ = std::exchange(o.cap_, 0);
        }
        return *this;
    }
    ~buffer() { release(); }

    /// Makes room for n elements (contents undefined after a growth).
    void resize(index_t n)
    {
        if (n > cap_) {
            release();
            p_ = static_cast<T*>(Device::allocate(static_cast<std::size_t>(n) * sizeof(T)));
            cap_ = n;
        }
        n_ = n;
    }
    T* data() { return p_; }
    const T* data() const { return p_; }
    index_t size() const { return n_; }

private:
    void release() noexcept
    {
        if (p_) Device::deallocate(p_);
        p_ = nullptr;
        n_ = cap_ = 0;
    }
    T* p_ = nullptr;
    index_t n_ = 0, cap_ = 0;
};

}  // namespace epilstm
