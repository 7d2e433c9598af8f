// Built only when the consumer finds HDF5: epilstm::hdf5 must bring H5Cpp.h and the libraries.
#include <H5Cpp.h>

int main()
{
    unsigned major = 0, minor = 0, release = 0;
    H5::H5Library::getLibVersion(major, minor, release);
    return major == 1 ? 0 : 1;
}
