// The only translation unit that includes <bigWig.h> (see include/epilstm/io/bigwig.hpp for why).
//
// NOCURL: bigWigIO.h includes <curl/curl.h> unless NOCURL is defined, and libbigwig-dev does not
// depend on a curl -dev package. With NOCURL the header declares CURL/CURLcode as placeholders; the
// only difference is a union member inside URL_t, which we never touch (we hold bigWigFile_t
// pointers and read hdr/cl, whose layout does not depend on it). Local files only.
#ifndef NOCURL
#define NOCURL
#endif
#include <bigWig.h>

#include <epilstm/io/bigwig.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

namespace epilstm::io {

namespace {

/// bwInit once per process, bwCleanup at exit.
struct library_guard {
    bool ok = false;
    library_guard() { ok = bwInit(1 << 17) == 0; }
    ~library_guard() { bwCleanup(); }
};

void ensure_initialized()
{
    static library_guard guard;
    if (!guard.ok) throw io_error("libBigWig: bwInit failed");
}

/// libBigWig prints its own diagnostics ("[bwHdrRead] ...") to stderr before returning NULL. We
/// report a clear error ourselves, so its stderr is sent to /dev/null while a file is opened.
class quiet_stderr {
public:
    quiet_stderr()
    {
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        const int devnull = ::open("/dev/null", O_WRONLY);
        if (saved_ >= 0 && devnull >= 0) ::dup2(devnull, STDERR_FILENO);
        if (devnull >= 0) ::close(devnull);
    }
    ~quiet_stderr()
    {
        std::fflush(stderr);
        if (saved_ >= 0) {
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
        }
    }
    quiet_stderr(const quiet_stderr&) = delete;
    quiet_stderr& operator=(const quiet_stderr&) = delete;

private:
    int saved_ = -1;
};

std::string prefix(const std::string& origin) { return origin.empty() ? std::string() : origin + ": "; }

}  // namespace

struct bigwig_file::impl {
    std::filesystem::path path;
    bigWigFile_t* fp = nullptr;
    std::vector<chrom_size> chroms;
    ~impl()
    {
        if (fp) bwClose(fp);
    }
};

bigwig_file::bigwig_file(const std::filesystem::path& path, const std::string& origin) : impl_(std::make_unique<impl>())
{
    ensure_initialized();
    impl_->path = path;
    const std::string what = prefix(origin) + "bigWig " + path.string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw input_error(what + ": no such file");
    if (std::filesystem::is_directory(path, ec)) throw input_error(what + ": is a directory, expected a bigWig file");
    {
        std::ifstream probe(path, std::ios::binary);
        if (!probe) throw input_error(what + ": cannot be read (check permissions)");
    }
    {
        quiet_stderr quiet;
        if (!bwIsBigWig(path.c_str(), nullptr))
            throw input_error(what + ": not a bigWig file (bad magic number)");
        impl_->fp = bwOpen(path.c_str(), nullptr, "r");
    }
    if (!impl_->fp || !impl_->fp->hdr || !impl_->fp->cl)
        throw input_error(what + ": cannot be opened as a bigWig (truncated or corrupt header or chromosome list)");
    const chromList_t* cl = impl_->fp->cl;
    for (int64_t i = 0; i < cl->nKeys; ++i) impl_->chroms.push_back({cl->chrom[i], static_cast<std::int64_t>(cl->len[i])});
}

bigwig_file::~bigwig_file() = default;
bigwig_file::bigwig_file(bigwig_file&&) noexcept = default;
bigwig_file& bigwig_file::operator=(bigwig_file&&) noexcept = default;

const std::filesystem::path& bigwig_file::path() const { return impl_->path; }
const std::vector<chrom_size>& bigwig_file::chroms() const { return impl_->chroms; }

void bigwig_file::read_bin_means(const std::string& chrom, std::int64_t start, index_t n, index_t bin_size, double* mean,
                                 std::uint8_t* covered) const
{
    std::fill(mean, mean + n, 0.0);
    std::fill(covered, covered + n, std::uint8_t{0});
    if (n <= 0) return;
    const std::int64_t end = start + static_cast<std::int64_t>(n) * bin_size;
    const auto it = std::find_if(impl_->chroms.begin(), impl_->chroms.end(), [&](const chrom_size& c) { return c.name == chrom; });
    if (it == impl_->chroms.end()) return;  // the file has no data on this chromosome
    const std::int64_t qend = std::min(end, it->size);
    if (start >= qend) return;
    if (qend > std::numeric_limits<std::uint32_t>::max())
        throw input_error(impl_->path.string() + ": " + chrom + ":" + std::to_string(start) + "-" + std::to_string(qend) +
                          " is beyond bigWig's 32-bit coordinates");

    bwOverlappingIntervals_t* iv = nullptr;
    {
        quiet_stderr quiet;
        iv = bwGetOverlappingIntervals(impl_->fp, chrom.c_str(), static_cast<std::uint32_t>(start),
                                       static_cast<std::uint32_t>(qend));
    }
    if (!iv)
        throw input_error(impl_->path.string() + ": cannot read the intervals of " + chrom + ":" + std::to_string(start) +
                          "-" + std::to_string(qend) + " (truncated or corrupt bigWig?)");
    struct destroy {
        bwOverlappingIntervals_t* p;
        ~destroy() { bwDestroyOverlappingIntervals(p); }
    } guard{iv};

    // Accumulate value x covered bases per bin; the count of covered bases is kept in `mean`'s
    // companion array `bases`.
    std::vector<std::int64_t> bases(static_cast<std::size_t>(n), 0);
    for (std::uint32_t i = 0; i < iv->l; ++i) {
        const double v = iv->value[i];
        std::int64_t s = std::max<std::int64_t>(iv->start[i], start);
        const std::int64_t e = std::min<std::int64_t>(iv->end[i], end);
        if (s >= e) continue;
        if (!std::isfinite(v)) {
            std::ostringstream os;
            os << impl_->path.string() << ": " << (std::isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf") << " value at " << chrom
               << ":" << iv->start[i] << "-" << iv->end[i] << " (0-based, half-open); bigWig values must be finite";
            throw input_error(os.str());
        }
        while (s < e) {
            const std::int64_t k = (s - start) / bin_size;
            const std::int64_t bin_end = start + (k + 1) * bin_size;
            const std::int64_t stop = std::min(e, bin_end);
            mean[k] += v * static_cast<double>(stop - s);
            bases[static_cast<std::size_t>(k)] += stop - s;
            s = stop;
        }
    }
    for (index_t k = 0; k < n; ++k) {
        const auto c = bases[static_cast<std::size_t>(k)];
        if (c > 0) {
            mean[k] /= static_cast<double>(c);
            covered[k] = 1;
        }
    }
}

void check_bigwig_genome(const bigwig_file& bw, const genome& g, const std::string& origin)
{
    for (const auto& c : bw.chroms()) {
        const chrom_size* gc = g.find(c.name);
        if (!gc)
            throw input_error(prefix(origin) + "bigWig " + bw.path().string() + " lists chromosome " + c.name +
                              " (size " + std::to_string(c.size) + "), which is not in the genome " + g.path.string() +
                              " (a different genome build?)");
        if (gc->size != c.size)
            throw input_error(prefix(origin) + "bigWig " + bw.path().string() + ": chromosome " + c.name + " has size " +
                              std::to_string(c.size) + " but " + std::to_string(gc->size) + " in the genome " +
                              g.path.string() + " (a different genome build?)");
    }
}

}  // namespace epilstm::io
