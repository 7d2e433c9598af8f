// Adam's hyper-parameters (PyTorch's defaults), the one definition every device's optimizer, the
// trainer and the command line use.
#pragma once

namespace epilstm {

struct adam_options {
    double learning_rate = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

}  // namespace epilstm
