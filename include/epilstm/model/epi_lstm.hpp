// The Epi-LSTM autoencoder with its default device, the CPU: model/autoencoder.hpp (the one
// definition, for every device) plus backend/cpu/cpu_device.hpp (Eigen, OpenMP). Host code
// includes this; nvcc code includes model/autoencoder.hpp and a device of backend/cuda/.
#pragma once

#include <epilstm/backend/cpu/cpu_device.hpp>
#include <epilstm/model/autoencoder.hpp>
