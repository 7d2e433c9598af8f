// The exception hierarchy. Every error a user can trigger (bad file, bad shape, bad option) is an
// epilstm::error whose message names the file, the dataset or line, and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace epilstm {

/// Base of every exception thrown by epilstm.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Input data (a file, a dataset, a matrix) is not what was expected.
class input_error : public error {
public:
    using error::error;
};

/// Two things that must agree (model and data, checkpoint and options) do not.
class shape_error : public error {
public:
    using error::error;
};

/// An I/O operation (open, read, write, rename) failed.
class io_error : public error {
public:
    using error::error;
};

}  // namespace epilstm
