// Kept so that older includes work: with_model_type now lives in model/variants.hpp.
#pragma once

#include <epilstm/model/variants.hpp>
