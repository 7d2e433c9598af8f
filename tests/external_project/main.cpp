// Builds against the installed epilstm: exits 0 only if the headers and targets work.
#include <epilstm/config.hpp>
#include <epilstm/model/parameter_layout.hpp>

#include <cstdio>

int main()
{
    epilstm::parameter_layout layout;
    layout.add_matrix("a", 3, 4);
    layout.add_vector("b", 5);
    const bool ok = layout.size() >= 17 && layout.at("b").offset >= 12;
    std::printf("epilstm %s: layout size %ld, offset of b %ld -> %s\n", EPILSTM_VERSION_STRING,
                static_cast<long>(layout.size()), static_cast<long>(layout.at("b").offset),
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
