// `lmul train --arch vit`: the ViT half of `lmul train` (cmd_train_vit.cpp).
#pragma once

#include <string>
#include <vector>

namespace lmul::cli {

// True when the command line asks for --arch vit (or --arch=vit).
bool wants_vit(const std::vector<std::string>& argv);
int run_train_vit(const std::vector<std::string>& argv);

} // namespace lmul::cli
