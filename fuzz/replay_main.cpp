// perc fuzzing — corpus replay: a plain main() that feeds every file named on the command line
// (directories are walked recursively) to LLVMFuzzerTestOneInput, so that each `meson test`
// re-runs the committed corpus with whatever compiler built it. Not linked into the libFuzzer
// binaries, which bring their own main().
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Adds the regular files under `arg` (or `arg` itself) to `files`. False when `arg` does not
// exist or is a directory without any file: a corpus that vanished must fail the test.
bool collect(const fs::path& arg, std::vector<fs::path>& files)
{
    std::error_code ec;
    if (fs::is_regular_file(arg, ec)) {
        files.push_back(arg);
        return true;
    }
    if (!fs::is_directory(arg, ec)) {
        std::fprintf(stderr, "replay: %s: no such file or directory\n", arg.string().c_str());
        return false;
    }
    std::size_t found = 0;
    for (fs::recursive_directory_iterator it{arg, ec}, end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) {
            files.push_back(it->path());
            ++found;
        }
    }
    if (ec) {
        std::fprintf(stderr, "replay: %s: %s\n", arg.string().c_str(), ec.message().c_str());
        return false;
    }
    if (found == 0) {
        std::fprintf(stderr, "replay: %s: no inputs\n", arg.string().c_str());
        return false;
    }
    return true;
}

bool run_file(const fs::path& path)
{
    std::ifstream f{path, std::ios::binary};
    if (!f) {
        std::fprintf(stderr, "replay: %s: cannot open\n", path.string().c_str());
        return false;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>{f},
                                  std::istreambuf_iterator<char>{}};
    // An exactly sized heap copy, as libFuzzer passes it: sanitizers catch any overread.
    const std::size_t size = bytes.size();
    const std::unique_ptr<std::uint8_t[]> data{new std::uint8_t[size]};
    std::transform(bytes.begin(), bytes.end(), data.get(),
                   [](char c) { return static_cast<std::uint8_t>(c); });
    std::printf("replay: %s (%zu octets)\n", path.string().c_str(), size);
    std::fflush(stdout); // the name is on record even if the target traps
    (void)LLVMFuzzerTestOneInput(data.get(), size);
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<fs::path> files;
    bool ok = true;
    int paths = 0;
    for (int i = 1; i < argc; ++i) {
        if (argv[i][0] == '-') continue; // libFuzzer flags: accepted and ignored
        ++paths;
        ok = collect(argv[i], files) && ok;
    }
    if (paths == 0) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argc > 0 ? argv[0] : "replay");
        return 2;
    }
    if (!ok) return 1;
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files)
        if (!run_file(p)) return 1;
    std::printf("replay: ran %zu inputs\n", files.size());
    return 0;
}
