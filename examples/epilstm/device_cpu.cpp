// The CPU sessions of the `epilstm` program: make_session<cpu_device> instantiated once for every
// run-time variant (the trainer and inference path of 16 model types), in its own translation unit
// so that the commands compile without them.
#include "device_session.hpp"

#include <epilstm/backend/cpu/cpu_device.hpp>
#include <epilstm/train/session.hpp>

namespace epilstm::cli {

std::unique_ptr<model_session> make_cpu_session(const model_config& cfg, const float* params)
{
    return make_session<cpu_device>(cfg, params);
}

}  // namespace epilstm::cli
