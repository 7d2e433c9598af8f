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
    // fd 2 is the process's: with tracks read on several threads (prepare --threads), the first
    // reader silences it and the last one restores it. Each saving and restoring on its own would
    // let a thread "restore" another's /dev/null and lose stderr for good (our own error lines too).
    quiet_stderr()
    {
        std::lock_guard<std::mutex> lock(state().mutex);
        if (state().depth++ > 0) return;
        std::fflush(stderr);
        state().saved = ::dup(STDERR_FILENO);
        const int devnull = ::open("/dev/null", O_WRONLY);
        if (state().saved >= 0 && devnull >= 0) ::dup2(devnull, STDERR_FILENO);
        if (devnull >= 0) ::close(devnull);
    }
    ~quiet_stderr()
    {
        std::lock_guard<std::mutex> lock(state().mutex);
        if (--state().depth > 0) return;
        std::fflush(stderr);
        if (state().saved >= 0) {
            ::dup2(state().saved, STDERR_FILENO);
            ::close(state().saved);
            state().saved = -1;
        }
    }
    quiet_stderr(const quiet_stderr&) = delete;
    quiet_stderr& operator=(const quiet_stderr&) = delete;

private:
    struct shared {
        std::mutex mutex;
        int depth = 0;
        int saved = -1;
    };
    static shared& state()
    {
        static shared s;
        return s;
    }
};

std::string prefix(const std::string& origin) { return origin.empty() ? std::string() : origin + ": "; }

/// The parts of a bigWig (BBI) file that libBigWig trusts when it opens one, checked first: the
/// header's offsets inside the file, the chromosome B+ tree's key size and item count, and every
/// node of the tree (inside the file, leaf items no more than the count, bounded depth). libBigWig
/// 0.4.7 allocates and writes by these numbers without checking them (tests/fuzz/fuzz_bigwig found
/// an 8 TB allocation and a heap write past its chromosome list). Returns "" or what is wrong.
class bbi_check {
public:
    explicit bbi_check(const std::filesystem::path& path) : in_(path, std::ios::binary)
    {
        std::error_code ec;
        size_ = static_cast<std::uint64_t>(std::filesystem::file_size(path, ec));
        if (ec) size_ = 0;
    }

    std::string problem()
    {
        if (size_ < 64) return "shorter than a bigWig header (64 bytes)";
        const std::uint64_t chrom_tree = u64(8), full_data = u64(16), full_index = u64(24);
        const std::uint16_t zooms = u16(6);
        if (!in_) return "cannot read the header";
        if (64 + 24 * static_cast<std::uint64_t>(zooms) > size_) return "zoom level headers beyond the end of the file";
        for (std::uint64_t off : {chrom_tree, full_data, full_index})
            if (off >= size_) return "header offset " + std::to_string(off) + " beyond the end of the file (" +
                                     std::to_string(size_) + " bytes)";
        // The chromosome tree's header.
        if (chrom_tree + 32 > size_) return "chromosome tree header beyond the end of the file";
        if (u32(chrom_tree) != 0x78CA8C91u) return "bad chromosome tree magic number";
        block_ = u32(chrom_tree + 4);
        key_ = u32(chrom_tree + 8);
        items_ = u64(chrom_tree + 16);
        if (block_ == 0) return "chromosome tree block size 0";
        if (key_ == 0 || key_ > 4096) return "chromosome name size " + std::to_string(key_) + " (expected 1..4096)";
        if (items_ > size_ / (key_ + 8)) return "chromosome tree lists " + std::to_string(items_) + " chromosomes, more than the file can hold";
        std::uint64_t leaves = 0;
        if (auto p = node(chrom_tree + 32, 0, leaves); !p.empty()) return p;
        if (leaves != items_)
            return "chromosome tree holds " + std::to_string(leaves) + " chromosomes, its header says " + std::to_string(items_);
        if (!in_) return "truncated";
        return "";
    }

private:
    std::string node(std::uint64_t off, int depth, std::uint64_t& leaves)
    {
        if (depth > 32) return "chromosome tree deeper than 32 levels";
        if (off + 4 > size_) return "chromosome tree node beyond the end of the file";
        const bool leaf = u8(off) != 0;
        const std::uint16_t count = u16(off + 2);
        const std::uint64_t item = key_ + 8ull;  // key, then chromId + size (leaf) or child offset
        if (count > block_) return "chromosome tree node of " + std::to_string(count) + " items in blocks of " + std::to_string(block_);
        if (off + 4 + item * count > size_) return "chromosome tree node beyond the end of the file";
        for (std::uint16_t k = 0; k < count; ++k) {
            const std::uint64_t at = off + 4 + item * k + key_;
            if (leaf) {
                if (++leaves > items_) return "chromosome tree holds more chromosomes than its header says";
                const std::uint32_t id = u32(at);
                if (id >= items_) return "chromosome id " + std::to_string(id) + " out of range";
                if (seen_.size() < items_) seen_.resize(static_cast<std::size_t>(items_), 0);
                if (seen_[id]++) return "chromosome id " + std::to_string(id) + " listed twice";
            } else if (auto p = node(u64(at), depth + 1, leaves); !p.empty()) {
                return p;
            }
        }
        return "";
    }
    template <class U>
    U read(std::uint64_t off)
    {
        unsigned char b[sizeof(U)] = {};
        in_.seekg(static_cast<std::streamoff>(off));
        in_.read(reinterpret_cast<char*>(b), sizeof b);
        U v = 0;
        for (std::size_t i = sizeof(U); i-- > 0;) v = static_cast<U>((v << 8) | b[i]);  // little-endian
        return v;
    }
    std::uint8_t u8(std::uint64_t off) { return read<std::uint8_t>(off); }
    std::uint16_t u16(std::uint64_t off) { return read<std::uint16_t>(off); }
    std::uint32_t u32(std::uint64_t off) { return read<std::uint32_t>(off); }
    std::uint64_t u64(std::uint64_t off) { return read<std::uint64_t>(off); }

    std::ifstream in_;
    std::vector<char> seen_;
    std::uint64_t size_ = 0, items_ = 0;
    std::uint32_t block_ = 0, key_ = 0;
};

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
        if (const std::string p = bbi_check(path).problem(); !p.empty())
            throw input_error(what + ": corrupt or truncated bigWig: " + p);
        impl_->fp = bwOpen(path.c_str(), nullptr, "r");
    }
    if (!impl_->fp || !impl_->fp->hdr || !impl_->fp->cl)
        throw input_error(what + ": cannot be opened as a bigWig (truncated or corrupt header or chromosome list)");
    const chromList_t* cl = impl_->fp->cl;
    for (int64_t i = 0; i < cl->nKeys; ++i) {
        const char* name = cl->chrom[i];
        if (!name || !*name)
            throw input_error(what + ": corrupt or truncated bigWig: chromosome " + std::to_string(i) + " has an empty name");
        impl_->chroms.push_back({name, static_cast<std::int64_t>(cl->len[i])});
    }
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
    thread_local std::vector<std::int64_t> bases;  // reused: prepare calls this per track and block
    bases.assign(static_cast<std::size_t>(n), 0);
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
        // One division per record, not per bin: records span several bins, and this loop was a
        // quarter of prepare's time at 1,014 tracks.
        std::int64_t k = (s - start) / bin_size;
        std::int64_t bin_end = start + (k + 1) * bin_size;
        for (;;) {
            const std::int64_t stop = std::min(e, bin_end);
            mean[k] += v * static_cast<double>(stop - s);
            bases[static_cast<std::size_t>(k)] += stop - s;
            if (stop == e) break;
            s = stop;
            ++k;
            bin_end += bin_size;
        }
    }
    // Branch-free so that it vectorises (it was a sixth of prepare): a bin without bases has sum 0.
    for (index_t k = 0; k < n; ++k) {
        const std::int64_t c = bases[static_cast<std::size_t>(k)];
        mean[k] /= static_cast<double>(std::max<std::int64_t>(c, 1));
        covered[k] = static_cast<std::uint8_t>(c > 0);
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
