// bigWig writing with libBigWig (see include/epilstm/io/bigwig_writer.hpp).
#ifndef NOCURL
#define NOCURL
#endif
#include <bigWig.h>

#include <epilstm/io/bigwig_writer.hpp>

#include <unistd.h>

#include <vector>

namespace epilstm::io {

struct bigwig_writer::impl {
    std::filesystem::path target, temp;
    std::vector<chrom_size> chroms;
    bigWigFile_t* fp = nullptr;
    std::size_t chrom = 0;        // index of the chromosome written last
    std::int64_t next_start = 0;  // first base the next bins may start at on that chromosome
    bool committed = false;

    void fail(const std::string& what) const { throw io_error(target.string() + ": " + what); }
};

bigwig_writer::bigwig_writer(const std::filesystem::path& target, const std::vector<chrom_size>& chroms)
    : impl_(std::make_unique<impl>())
{
    static const bool initialized = bwInit(1 << 17) == 0;
    impl_->target = target;
    impl_->temp = std::filesystem::path(target.string() + ".tmp-" + std::to_string(::getpid()));
    impl_->chroms = chroms;
    if (!initialized) impl_->fail("libBigWig could not be initialized (bwInit)");
    if (chroms.empty()) impl_->fail("cannot write a bigWig without chromosomes");
    std::string mode = "w";
    impl_->fp = bwOpen(const_cast<char*>(impl_->temp.c_str()), nullptr, mode.data());
    if (!impl_->fp) impl_->fail("cannot create bigWig file " + impl_->temp.string());
    std::vector<char*> names;
    std::vector<std::uint32_t> sizes;
    for (const auto& c : chroms) {
        names.push_back(const_cast<char*>(c.name.c_str()));
        sizes.push_back(static_cast<std::uint32_t>(c.size));
    }
    if (bwCreateHdr(impl_->fp, 10) != 0) impl_->fail("bwCreateHdr failed");
    impl_->fp->cl = bwCreateChromList(names.data(), sizes.data(), static_cast<std::int64_t>(names.size()));
    if (!impl_->fp->cl) impl_->fail("bwCreateChromList failed");
    if (bwWriteHdr(impl_->fp) != 0) impl_->fail("bwWriteHdr failed");
}

bigwig_writer::~bigwig_writer()
{
    if (impl_->fp) bwClose(impl_->fp);
    if (!impl_->committed) {
        std::error_code ec;
        std::filesystem::remove(impl_->temp, ec);
    }
}

void bigwig_writer::add_bins(const std::string& chrom, std::int64_t start, index_t bin_size, const float* values,
                             index_t n)
{
    if (n == 0) return;
    std::size_t c = impl_->chrom;
    while (c < impl_->chroms.size() && impl_->chroms[c].name != chrom) ++c;
    if (c == impl_->chroms.size())
        impl_->fail("bins on " + chrom + " come after later chromosomes or on a chromosome the genome lacks");
    if (c != impl_->chrom) impl_->next_start = 0;
    if (start < impl_->next_start)
        impl_->fail("bins on " + chrom + " starting at " + std::to_string(start) +
                    " overlap or precede bins already written (regions must not overlap)");
    const std::int64_t size = impl_->chroms[c].size;
    if (start >= size || start + bin_size * (n - 1) >= size)
        impl_->fail("bins on " + chrom + " reach " + std::to_string(start + bin_size * n) + ", past the chromosome's " +
                    std::to_string(size) + " bases");
    // A last bin that overhangs the chromosome's end (regions widened to the bin grid,
    // docs/store-format.md) is clipped to it, as the format requires.
    const bool clip_last = start + bin_size * n > size;
    const index_t whole = clip_last ? n - 1 : n;
    std::vector<float> v(values, values + n);
    std::string name = chrom;
    if (whole > 0 &&
        bwAddIntervalSpanSteps(impl_->fp, name.data(), static_cast<std::uint32_t>(start),
                               static_cast<std::uint32_t>(bin_size), static_cast<std::uint32_t>(bin_size), v.data(),
                               static_cast<std::uint32_t>(whole)) != 0)
        impl_->fail("bwAddIntervalSpanSteps failed on " + chrom + ":" + std::to_string(start) + " (disk full?)");
    if (clip_last) {
        char* names[1] = {name.data()};
        auto s0 = static_cast<std::uint32_t>(start + bin_size * whole), e0 = static_cast<std::uint32_t>(size);
        if (bwAddIntervals(impl_->fp, names, &s0, &e0, v.data() + whole, 1) != 0)
            impl_->fail("bwAddIntervals failed on " + chrom + ":" + std::to_string(s0) + " (disk full?)");
    }
    impl_->chrom = c;
    impl_->next_start = start + bin_size * n;
}

void bigwig_writer::commit()
{
    bwClose(impl_->fp);  // writes the index and zoom levels
    impl_->fp = nullptr;
    std::error_code ec;
    std::filesystem::rename(impl_->temp, impl_->target, ec);
    if (ec) impl_->fail("cannot rename " + impl_->temp.string() + " into place: " + ec.message());
    impl_->committed = true;
}

}  // namespace epilstm::io
