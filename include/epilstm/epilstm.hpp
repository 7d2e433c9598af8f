// Umbrella header: the whole CPU library (everything except CUDA and HDF5 I/O, which are the
// optional targets epilstm::cuda and epilstm::hdf5). The layers, lowest first: docs/architecture.md.
#pragma once

#include <epilstm/config.hpp>
#include <epilstm/error.hpp>
#include <epilstm/policy/activation.hpp>
#include <epilstm/policy/normalization.hpp>
#include <epilstm/cell/cell_spec.hpp>
#include <epilstm/cell/lstm_layer_types.hpp>
#include <epilstm/cell/parameter_layout.hpp>
#include <epilstm/data/frame_batch.hpp>
#include <epilstm/data/frame_streams.hpp>
#include <epilstm/data/region_source.hpp>
#include <epilstm/backend/device.hpp>
#include <epilstm/backend/cpu/cpu_device.hpp>
#include <epilstm/sequence/lstm_layer.hpp>
#include <epilstm/model/model_config.hpp>
#include <epilstm/model/epi_lstm.hpp>
#include <epilstm/model/inference.hpp>
#include <epilstm/model/variants.hpp>
#include <epilstm/model/dispatch.hpp>
#include <epilstm/train/adam.hpp>
#include <epilstm/train/clip.hpp>
#include <epilstm/train/trainer.hpp>
#include <epilstm/train/session.hpp>
#include <epilstm/testing/gradient_check.hpp>
