// Moved to cell/parameter_layout.hpp (the layout rule is shared by every layer and backend).
#pragma once

#include <epilstm/cell/parameter_layout.hpp>
