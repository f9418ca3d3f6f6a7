#include "app/options.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <utility>
#include <vector>

#include "dgen/simd.hpp"
#include "dgen/size.hpp"
#include "dgen/spec.hpp"
#include "dgen/version.hpp"
#include "io/backend.hpp"

namespace dgen::app {

namespace po = boost::program_options;

namespace {

[[noreturn]] void bad(const std::string& option, const std::string& value, const std::string& why) {
  throw UsageError(option + " " + value + ": " + why);
}

double parse_real(const std::string& option, const std::string& text, double lo, double hi) {
  const std::string range = "must be a number from " + std::to_string(static_cast<long>(lo)) +
                            " to " + std::to_string(static_cast<long>(hi));
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v) ||
      v < lo || v > hi) {
    bad(option, text, range);
  }
  return v;
}

// Decimal; with `hex_allowed` (--seed) also hex with 0x. A leading zero is decimal: 010 is ten,
// not octal eight.
std::uint64_t parse_unsigned(const std::string& option, const std::string& text, std::uint64_t lo,
                             std::uint64_t hi, const std::string& range, bool hex_allowed = false) {
  if (text.empty() || text[0] == '-' || text[0] == '+' ||
      std::isspace(static_cast<unsigned char>(text[0]))) {
    bad(option, text, range);
  }
  const bool hex =
      hex_allowed && text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hex && !std::isxdigit(static_cast<unsigned char>(text[2]))) bad(option, text, range);
  if (!hex && !std::isdigit(static_cast<unsigned char>(text[0]))) bad(option, text, range);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str() + (hex ? 2 : 0), &end, hex ? 16 : 10);
  if (end != text.c_str() + text.size() || errno == ERANGE || v < lo || v > hi)
    bad(option, text, range);
  return v;
}

// "30s", "500ms", "5min", "2h", "1.5" (seconds): seconds, in [lo, hi].
double parse_duration(const std::string& option, const std::string& text, double lo, double hi,
                      const std::string& range) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  const std::string unit = end != nullptr ? std::string(end) : "";
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "ms") scale = 1e-3;
  if (unit == "us") scale = 1e-6;
  if (unit == "min" || unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (text.empty() || end == text.c_str() || errno == ERANGE || !std::isfinite(v) || scale == 0 ||
      v * scale < lo || v * scale > hi)
    bad(option, text, range);
  return v * scale;
}

std::uint64_t parse_size_option(const std::string& option, const std::string& text) {
  try {
    return parse_size(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(option + " " + e.what());
  }
}

bool parse_on_off(const std::string& option, const std::string& text) {
  if (text == "on" || text == "yes" || text == "true" || text == "1") return true;
  if (text == "off" || text == "no" || text == "false" || text == "0") return false;
  bad(option, text, "must be on or off");
}

// "a", "a or b", "a, b or c".
std::string join_or(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i)
    out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  return out;
}

// The names of the engines (--io) whose traits pass `has`, in the table's order.
template <class Has>
std::vector<std::string> engines_with(Has has) {
  std::vector<std::string> names;
  for (const io::BackendRow& row : io::backends())
    if (has(row.traits)) names.push_back(row.traits.name);
  return names;
}

// The default --io: the table's first row.
std::string default_engine() { return io::backends().front().traits.name; }

// An option some engines declare: its first declaration and the engines that declare it.
struct DeclaredOption {
  const io::EngineOption* option;
  std::vector<std::string> engines;
};

// Every engine option once, in the order of the table.
std::vector<DeclaredOption> engine_options() {
  std::vector<DeclaredOption> out;
  for (const io::BackendRow& row : io::backends()) {
    for (const io::EngineOption& opt : row.traits.options) {
      auto same = std::find_if(out.begin(), out.end(), [&](const DeclaredOption& d) {
        return std::string(d.option->name) == opt.name;
      });
      if (same == out.end()) same = out.insert(out.end(), DeclaredOption{&opt, {}});
      same->engines.push_back(row.traits.name);
    }
  }
  return out;
}

// An engine option's value as the engine takes it (io::EngineOption): on|off as on or off,
// SIZE as bytes, anything else as typed.
std::string engine_value(const io::EngineOption& opt, const std::string& text) {
  const std::string option = std::string("--") + opt.name;
  if (std::string(opt.value) == "on|off") return parse_on_off(option, text) ? "on" : "off";
  if (std::string(opt.value) == "SIZE") return std::to_string(parse_size_option(option, text));
  return text;
}

po::options_description describe_options() {
  po::options_description d("Options");
  // Values are taken as text and parsed here, so that every error names option, value, range.
  auto text = [](const char* name) { return po::value<std::string>()->value_name(name); };
  std::string io_names, io_help = "how bytes move (IOR -a, fio ioengine): ";
  for (const io::BackendRow& row : io::backends()) {
    const bool first = io_names.empty();
    io_names += (first ? "" : "|") + std::string(row.traits.name);
    io_help += (first ? "" : "; ") + std::string(row.traits.name) + " = " + row.traits.summary;
  }
  // clang-format off
  d.add_options()
      ("size,s", text("SIZE")->default_value("1GiB"),
       "bytes per rank (IOR's block size): 4096, 64KiB, 1.5GiB, 10GB; K/M/G/T/P/E and KiB..EiB are "
       "powers of 1024, KB..EB of 1000; at least 1 byte, at most what memory allows in bench mode")
      ("seed", text("N"),
       "64-bit seed, decimal or 0x hex (default 0x5eedd6e020260001); equal seeds, equal bytes")
      ("dedup-ratio", text("R")->default_value("1"),
       "units / distinct units, a real from 1 to 100; 1 = no two units equal")
      ("dedup-unit", text("SIZE")->default_value("4KiB"),
       "deduplication unit, a power of two from 512B to 1MiB")
      ("compress-ratio", text("R")->default_value("1"),
       "bytes / compressed bytes (zstd, lz4, zlib), a real from 1 to 100; 1 = incompressible; "
       "within 10% up to 8 for units of 4KiB or more")
      ("compress-fill", text("zero|pattern")->default_value("pattern"),
       "what the compressible bytes hold: zero, or a non-zero pattern that differs per 4KiB block")
      ("threads,t", text("N"),
       "threads per rank, 1 to 4096 (default: OMP_NUM_THREADS, else one per core of the rank's "
       "NUMA domain(s))")
      ("simd", text("NAME")->default_value("auto"),
       "kernel: auto, or a compiled target (scalar, sse4, avx2, avx2-vaes, avx512, avx512-dl, ...); "
       "'list' prints the compiled and supported targets")
      ("iterations,i", text("N"),
       "timed repetitions, 1 to 1000000 (default 3 in bench mode, 1 with --output or --input)")
      ("output,o", text("PATH|-"),
       "write the stream to PATH ('-' = stdout, report on stderr) instead of timing it in memory; "
       "rank r writes bytes [r*size, (r+1)*size); a file is written under a temporary name and "
       "renamed when complete")
      ("input", text("PATH"),
       "read the stream back from PATH (IOR -r) with the same layout options it was written "
       "with, timed as writes are; every file must be at least as long as its share")
      ("analyze", po::value<std::vector<std::string>>()->multitoken()->value_name("PATH..."),
       "measure existing data instead of generating: files, directories (walked in sorted order, "
       "symbolic links not followed) and block devices; every rank reads a share; reports "
       "distinct units, zero units and per-unit zstd-3/lz4/zlib-6 ratios at each "
       "--analyze-units size, and what dedup + zstd would store (docs/analyze.md)")
      ("analyze-units", text("LIST")->default_value("4KiB,8KiB,16KiB,32KiB,64KiB,128KiB"),
       "with --analyze: unit sizes, comma-separated powers of two from 512B to 1MiB, up to 12")
      ("analyze-chunk", text("SIZE")->default_value("1MiB"),
       "with --analyze: the block of whole-data compression (as a file system's record), a power "
       "of two from 4KiB to 64MiB")
      ("sample", text("F")->default_value("1"),
       "with --analyze: the fraction of units and chunks compressed, chosen by fingerprint, a "
       "number from 0 to 1 (0: deduplication only); ratios below 1 come with an interval")
      ("analyze-memory", text("SIZE"),
       "with --analyze: the memory per rank for fingerprints (default: half of what the node "
       "can give, shared by its ranks); less than they need switches to the estimator")
      ("strict", "with --analyze: the first file or directory that cannot be read ends the job "
       "(exit 2 for a path that cannot be used, e.g. permission denied; 4 for an I/O error); "
       "without it such paths are skipped, counted and named in the report, and the job exits "
       "with that code after the report")
      ("file-per-rank", "with --output/--input: a file per rank, PATH.00000000, PATH.00000001, "
       "... (IOR -F), each holding its rank's bytes")
      ("files", text("N"),
       "with --output/--input: a dataset of N files (1 to 1000000000) of --file-size bytes under "
       "directory PATH, in subdirectories of --files-per-dir; file k holds stream bytes "
       "[k*SIZE, (k+1)*SIZE); rank r takes files [r*N/ranks, (r+1)*N/ranks); not with --size")
      ("file-size", text("SIZE"), "with --files: the bytes of each file, at least 1 byte")
      ("files-per-dir", text("N")->default_value("1000"),
       "with --files: files per subdirectory, 1 to 1000000")
      ("in-place", "with --output: write the file or device itself, no temporary name (IOR -E); "
       "needed to write a block or character device (checked against the device's size); a "
       "regular file is cut to the stream's length; a failed or interrupted run removes a file "
       "it created and cuts an existing one to 0 bytes (--keep-partial: to the written prefix); "
       "one in-place writer at a time (an advisory lock)")
      ("overwrite", "with --output: replace existing files whatever they hold; without it an "
       "existing non-empty file is replaced only when its first data is dgen_mpi's stream of "
       "the job's seed (a rerun), and anything else ends the run before a byte is written")
      ("resume", "with --output: continue an interrupted write (kill -9, a crash, a disk full, "
       "--keep-partial): the partial file of the same seed is found, every transfer is read and "
       "only those missing or wrong are written, then it is renamed; a dataset keeps the files "
       "that stand whole; the report says how much was reused")
      ("io", po::value<std::string>()->value_name(io_names)->default_value(default_engine()),
       io_help.c_str())
      ("iodepth", text("N")->default_value("1"),
       ("with --io " + join_or(engines_with([](auto& t) { return t.queue_depth; })) +
        ": transfers in flight per thread (fio iodepth), 1 to 4096; transfer i + N is generated "
        "while transfer i completes").c_str())
      ("transfer", text("SIZE")->default_value("1MiB"),
       "bytes per write or read call (IOR -t), 1 byte to 1GiB; each thread generates one "
       "transfer into a buffer that stays in cache and writes it")
      ("direct", ("with --output/--input: O_DIRECT, buffers and offsets aligned to the file "
       "system's direct-I/O alignment; --size, --file-size and --transfer must be multiples of "
       "it; not with --io " + join_or(engines_with([](auto& t) { return !t.direct; }))).c_str())
      ("fsync", text("on|off")->default_value("on"),
       "with --output: flush to storage (fsync, MPI_File_sync) before the clock stops, timed "
       "apart (IOR -e); the report gives the bandwidth with and without it")
      ("pattern", text("sequential|random|strided")->default_value("sequential"),
       "with --output/--input: the order of each thread's transfers: sequential, random (each "
       "transfer once, in a seeded order: IOR -z, fio rw=randwrite/randread), or strided (the "
       "shared file in IOR's segmented N-to-1 layout: rank r's block i at (i*ranks + r)*block, "
       "--segments N --block SIZE; IOR -s/-b); every pattern writes the same file")
      ("segments", text("N"), "with --pattern strided: segments per rank, 1 to 1000000000 "
       "(IOR -s); each rank writes N blocks of --block bytes")
      ("block", text("SIZE"), "with --pattern strided: bytes per rank and segment (IOR -b); "
       "--size is then segments x block (given, it must equal that)")
      ("order-seed", text("N"), "with --pattern random: the seed of the order (default: from "
       "--seed), decimal or 0x hex; reading back in another order takes another seed")
      ("duration", text("TIME"),
       "with --output/--input: move transfers until TIME has passed (30s, 500ms, 5min, 1h; IOR "
       "-D, fio runtime with time_based), then stop at a transfer boundary; --size is the most a "
       "rank moves; the report gives the stonewall figures")
      ("wear-out", "with --duration and --output: after the wall every thread goes on to the largest count "
       "any rank's same thread reached, so the file is whole where written (IOR -O "
       "stoneWallingWearOut); the rate reported is the stonewalled one")
      ("interval", text("TIME")->default_value("1s"),
       "with --output/--input: the bandwidth-over-time interval (report's timeline), from 10ms "
       "to 1h")
      ("timeline", text("PATH"),
       "with --output/--input: write the bandwidth over time (bytes per rank per --interval) "
       "as CSV to PATH (rank 0, whole or not at all)")
      ("phases", text("LIST"),
       "with --files: the metadata phases to run and time, comma-separated, in this order: "
       "create,stat,read,delete (mdtest's file creation, stat, read, removal; default: create "
       "with --output, read with --input); delete removes only what this run created unless "
       "--overwrite")
      ("unique-dir", "with --files: each rank's files under a directory of its own, "
       "PATH/r00000000/... (mdtest -u)")
      ("reorder", "with --input (or --output --verify): each rank reads what the rank one node "
       "further on wrote (IOR -C, shifted by the ranks per node), so the writer's page cache does "
       "not serve the read")
      ("verify", "with --input: compare every byte read with the stream, regenerated (the same "
       "data and layout options as the write); with --output: write, then read back and compare "
       "in the same job (IOR -w -W); exit 1 when a byte differs, each wrong range reported with "
       "what it holds (docs/verify.md)")
      ("max-mismatches", text("N")->default_value("16"),
       "with --verify: the first N wrong ranges reported, in stream order, 0 to 1000000")
      ("keep-partial", "with --output: an interrupted or failed write keeps its partial file "
       "under its temporary name (PATH.dgen-partial-*, cut to the prefix every rank completed "
       "after a stop; --resume continues it) instead of removing it; a file already at PATH is "
       "untouched; a dataset always keeps the files it completed and never a short one")
      ("timeout", text("SECONDS")->default_value("0"),
       "no rank waits longer than this at a synchronisation point: a rank that does not come "
       "(hung, stopped) is named, and a call to storage that has not returned in this time "
       "(pwrite, fsync, an MPI-IO call on a hung file system) is named with its file and "
       "offset; the job ends with exit code 124; 0 (wait forever, the default) or a number of "
       "seconds from 1 to 604800")
      ("report", text("PATH"),
       "write the report to PATH (rank 0, whole or not at all: a temporary name, then renamed) "
       "instead of stdout; a launcher that is being stopped (mpirun forwards at most a few KiB "
       "of output after SIGTERM) cannot cut it")
      ("format,f", text("table|json|csv")->default_value("table"),
       "report format: an aligned table, one JSON document (docs/output.md), or CSV")
      ("progress", text("on|off")->implicit_value("on"),
       "one updating line with bytes done, rate and ETA on stderr (default: on when stderr is a "
       "terminal)")
      ("baseline", text("on|off")->default_value("on"),
       "bench mode: also time memset and a streaming-store fill of the same buffer by the same "
       "threads, and report generation against the faster of the two")
      ("bind", text("auto|launcher|none")->default_value("auto"),
       "auto: keep the launcher's binding when it matches the plan (one rank per NUMA domain), "
       "else each rank binds itself to its planned domain(s); launcher: keep it; none: bind "
       "nothing")
      ("memory", text("local|inherit|hbm")->default_value("local"),
       "where the buffer goes: local = bound to the domain of the threads that fill it; inherit = "
       "first touch under the process's policy (numactl); hbm = the memory-only node nearest "
       "each domain")
      ("smt", "a thread per hardware thread (PU) instead of one per core")
      ("hugepages", "bench mode: ask for transparent huge pages for the buffer (2 MiB thread parts)")
      ("strict-placement", "bench mode: fail when fewer than 99% of the buffer's pages are on the "
       "intended node")
      ("plan", "print the placement (ranks, domains, cpus, memory nodes, launch lines) and exit, "
       "allocating and binding nothing")
      ("topology", text("FILE.xml"), "with --plan: the machine an hwloc XML file describes "
       "(lstopo --of xml) instead of this one")
      ("ranks", text("N"), "with --plan: ranks per node, 1 to 1000000 (default: one per NUMA domain)")
      ("version", "print the version and exit")
      ("help,h", "print this help and exit");
  // clang-format on
  // Each engine's own options under their engine(s), with the default they take.
  std::vector<std::vector<std::string>> owners;  // the engines of each group, in order
  std::vector<po::options_description> groups;
  for (const DeclaredOption& e : engine_options()) {
    const auto at = std::find(owners.begin(), owners.end(), e.engines) - owners.begin();
    if (at == static_cast<std::ptrdiff_t>(owners.size())) {
      owners.push_back(e.engines);
      groups.emplace_back("Options of --io " + join_or(e.engines));
    }
    auto* value = po::value<std::string>()->value_name(e.option->value);
    if (*e.option->default_value != '\0') value->default_value(e.option->default_value);
    groups[static_cast<std::size_t>(at)].add_options()(e.option->name, value, e.option->help);
  }
  for (const po::options_description& group : groups) d.add(group);
  return d;
}

}  // namespace

namespace {

constexpr const char* kSummary =
    "Generates synthetic data with exact deduplication and compression ratios, as fast as the "
    "memory system allows. The bytes are a pure function of the seed, the data options and the "
    "global byte offset: any split across ranks, threads or runs gives the same bytes.";

// Command and what it does (empty: the command says it). The shared-file example takes the
// first engine whose ranks' main threads move the bytes (MPI-IO's collective calls).
std::vector<std::pair<std::string, std::string>> examples() {
  const auto funneled = engines_with([](auto& t) { return !t.threads_move_bytes; });
  return {
      {"dgen_mpi --size 4GiB", "time generation vs memset, 3 iterations"},
      {"dgen_mpi --size 1GiB --dedup-ratio 2 --compress-ratio 3 --format json", ""},
      {"dgen_mpi --size 10GB --output /scratch/data.bin --progress", ""},
      {"dgen_mpi --size 1GiB --output - | zstd -3 | wc -c", ""},
      {"mpirun -n 4 dgen_mpi --size 4GiB --output /lustre/shared.bin" +
           (funneled.empty() ? std::string() : " --io " + funneled.front()),
       ""},
      {"dgen_mpi --files 10000 --file-size 1MiB --output /scratch/dataset --compress-ratio 2", ""},
      {"dgen_mpi --size 4GiB --input /scratch/data.bin --direct", ""},
      {"mpirun -n 4 dgen_mpi --analyze /scratch/dataset --analyze-units 4KiB,64KiB", ""},
      {"mpirun --map-by numa --bind-to numa -n 16 dgen_mpi --size 8GiB --format json", ""},
  };
}

// Text for roff: backslashes and hyphens escaped, no line starting with a control character.
std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

}  // namespace

std::string help_text() {
  std::ostringstream out;
  out << "Usage: dgen_mpi [options]\n"
         "       mpirun --map-by numa --bind-to numa -n RANKS dgen_mpi [options]\n\n";
  // The summary wrapped at 92 columns, as the option table below.
  std::string line;
  std::istringstream words(kSummary);
  for (std::string w; words >> w;) {
    if (!line.empty() && line.size() + 1 + w.size() > 92) {
      out << line << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  out << line << "\n\n" << describe_options() << "\nExamples:\n";
  for (const auto& [command, what] : examples()) {
    std::string row = "  " + command;
    if (!what.empty()) row += std::string(row.size() < 46 ? 48 - row.size() : 2, ' ') + what;
    out << row << "\n";
  }
  return out.str();
}

std::string man_page() {
  std::ostringstream o;
  const std::string version(dgen::version());
  o << ".TH DGEN_MPI 1 \"\" \"dgen-mpi " << roff(version) << "\" \"User Commands\"\n"
    << ".SH NAME\ndgen_mpi \\- synthetic data with exact deduplication and compression ratios\n"
    << ".SH SYNOPSIS\n.B dgen_mpi\n[\\fIoptions\\fR]\n.br\n"
    << ".B mpirun \\-\\-map\\-by numa \\-\\-bind\\-to numa \\-n\n\\fIRANKS\\fR\n.B dgen_mpi\n"
    << "[\\fIoptions\\fR]\n"
    << ".SH DESCRIPTION\n"
    << roff(kSummary) << "\n"
    << ".SH OPTIONS\n";
  // The --help table's options, one by one: names, value, then the description and default.
  const po::options_description table = describe_options();
  for (const auto& opt : table.options()) {
    std::string names = "\\fB" + roff("--" + opt->long_name()) + "\\fR";
    const std::string shorter =
        opt->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (shorter.size() == 2 && shorter[0] == '-') names += ", \\fB" + roff(shorter) + "\\fR";
    std::string value = opt->semantic()->name();  // "arg", "SIZE (=1GiB)"...
    o << ".TP\n" << names;
    if (opt->semantic()->max_tokens() > 0 && !value.empty()) {
      const auto open = value.find(" (=");
      const std::string param = value.substr(0, open);
      o << " \\fI" << roff(param) << "\\fR";
      if (open != std::string::npos)
        o << "\n"
          << roff(opt->description()) << " (default "
          << roff(value.substr(open + 3, value.size() - open - 4)) << ")\n";
      else
        o << "\n" << roff(opt->description()) << "\n";
    } else {
      o << "\n" << roff(opt->description()) << "\n";
    }
  }
  o << ".SH EXAMPLES\n";
  for (const auto& [command, what] : examples()) {
    o << ".TP\n.B " << roff(command) << "\n"
      << (what.empty() ? std::string("\\&") : roff(what)) << "\n";
  }
  o << ".SH EXIT STATUS\n"
    << ".TP\n0\nEvery pass completed.\n"
    << ".TP\n1\n"
    << roff(
           "--verify found bytes that differ from the stream, or a runtime failure other than I/O.")
    << "\n"
    << ".TP\n2\nBad input: an option, its value and its accepted range are named; or a size the "
       "memory or the file system cannot hold, a missing path.\n"
    << ".TP\n3\n"
    << roff("--strict-placement and fewer than 99% of the pages on their node.") << "\n"
    << ".TP\n4\nAn I/O error: the file, the offset and the OS or MPI error are named.\n"
    << ".TP\n124\n"
    << roff("--timeout: a rank did not reach a synchronisation point in time.") << "\n"
    << ".TP\n128+N\nStopped by signal N; the report of what was done is printed.\n"
    << ".SH FILES\n"
    << roff(
           "The documentation: /usr/share/doc/dgen-mpi (README.md, data-model.md, output.md, "
           "storage.md, verify.md, analyze.md, python.md, reliability.md, performance.md).")
    << "\n.SH SEE ALSO\n.BR mpirun (1),\n.BR ior (1),\n.BR fio (1)\n";
  return o.str();
}

namespace {

// Boost.ProgramOptions 1.74 loops forever formatting an error whose option text holds one of
// its placeholders (`--x%canonical_option%`; found by fuzz/fuzz_command_line): '%' passes
// through the parser as kPercent and is put back in values and messages.
constexpr char kPercent = '\x01';

std::string with_percent(std::string t) {
  std::replace(t.begin(), t.end(), kPercent, '%');
  return t;
}

// The parsed words, asked by option name.
struct Given {
  po::variables_map vm;
  /// The value as typed ('%' restored).
  std::string text(const std::string& name) const {
    return with_percent(vm[name].as<std::string>());
  }
  /// On the command line (not a default).
  bool given(const std::string& name) const { return vm.count(name) && !vm[name].defaulted(); }
  /// "--name" and, for an option with a value, " VALUE" (`empty`: also an empty one), as
  /// messages name it.
  std::string shown(const std::string& name, bool empty = true) const {
    static const po::options_description table = describe_options();
    const auto* value = boost::any_cast<std::string>(&vm[name].value());
    const bool takes_value = table.find(name, false).semantic()->max_tokens() > 0;
    return "--" + name +
           (value && takes_value && (empty || !value->empty()) ? " " + with_percent(*value) : "");
  }
};

// What the command line asks for, as the options' rules ask about it.
struct Facts {
  bool output = false, output_file = false, input = false, storage = false, analyze = false;
  bool strided = false, random = false, duration = false, files = false, verify = false;
  bool plan = false;
};

// "Only with": an option given where its rule does not hold is refused as "--NAME[ VALUE]:
// WHY", checked in this order. An option may have several rules: the first that fails speaks.
// An option with a default has its value read in every mode, so a bad value is named first
// (kValueFirst: the rule is checked once the values are read).
struct OnlyRule {
  const char* option;
  bool value_first;
  bool (*holds)(const Facts&);
  const char* why;
};
constexpr bool kRuleFirst = false, kValueFirst = true;

constexpr const char* kStorageOnly = "is only for --output or --input";
constexpr const char* kBenchOnly = "is only for bench mode (without --output or --input)";

// clang-format off
const OnlyRule kOnlyRules[] = {
    {"analyze-units", kValueFirst, [](const Facts& f) { return f.analyze; }, "is only for --analyze"},
    {"analyze-chunk", kValueFirst, [](const Facts& f) { return f.analyze; }, "is only for --analyze"},
    {"sample", kValueFirst, [](const Facts& f) { return f.analyze; }, "is only for --analyze"},
    {"analyze-memory", kRuleFirst, [](const Facts& f) { return f.analyze; }, "is only for --analyze"},
    {"strict", kRuleFirst, [](const Facts& f) { return f.analyze; }, "is only for --analyze"},
    {"file-per-rank", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"in-place", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"direct", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"pattern", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"segments", kRuleFirst, [](const Facts& f) { return f.strided; }, "is only for --pattern strided"},
    {"block", kRuleFirst, [](const Facts& f) { return f.strided; }, "is only for --pattern strided"},
    {"order-seed", kRuleFirst, [](const Facts& f) { return f.random; }, "is only for --pattern random"},
    {"duration", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"wear-out", kRuleFirst, [](const Facts& f) { return f.duration; }, "is only for --duration"},
    {"interval", kValueFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"timeline", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"unique-dir", kRuleFirst, [](const Facts& f) { return f.files; }, "is only for --files N"},
    {"phases", kRuleFirst, [](const Facts& f) { return f.files; }, "is only for --files N (a dataset)"},
    {"verify", kRuleFirst, [](const Facts& f) { return f.input || f.output_file; },
     "is only for --input, or --output with a file path"},
    {"reorder", kRuleFirst, [](const Facts& f) { return f.input || f.verify; },
     "is only for --input (or --output with --verify)"},
    {"max-mismatches", kValueFirst, [](const Facts& f) { return f.verify; }, "is only for --verify"},
    {"in-place", kRuleFirst, [](const Facts& f) { return f.output; }, "is only for --output"},
    {"overwrite", kRuleFirst, [](const Facts& f) { return f.output_file; },
     "is only for --output with a file path"},
    {"resume", kRuleFirst, [](const Facts& f) { return f.output_file; },
     "is only for --output with a file path"},
    {"files", kRuleFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"file-size", kRuleFirst, [](const Facts& f) { return f.files; }, "is only for --files N"},
    {"files-per-dir", kRuleFirst, [](const Facts& f) { return f.files; }, "is only for --files N"},
    {"iodepth", kValueFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"io", kValueFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"transfer", kValueFirst, [](const Facts& f) { return f.storage; }, kStorageOnly},
    {"fsync", kValueFirst, [](const Facts& f) { return f.output; }, "is only for --output"},
    {"baseline", kRuleFirst, [](const Facts& f) { return !f.storage; }, kBenchOnly},
    {"hugepages", kRuleFirst, [](const Facts& f) { return !f.storage; }, kBenchOnly},
    {"strict-placement", kRuleFirst, [](const Facts& f) { return !f.storage; }, kBenchOnly},
    {"keep-partial", kRuleFirst, [](const Facts& f) { return f.output_file; },
     "is only for --output with a file path"},
    {"topology", kRuleFirst, [](const Facts& f) { return f.plan; },
     "is only for --plan (a real run uses this machine)"},
    {"ranks", kRuleFirst, [](const Facts& f) { return f.plan; },
     "is only for --plan (a real run takes the launcher's ranks)"},
};

// "Not with --analyze": it measures the data it reads, in one pass.
const char* const kNotWithAnalyze[] = {
    "output", "input", "seed", "dedup-ratio", "dedup-unit", "compress-ratio", "compress-fill",
    "iterations", "file-per-rank", "files", "in-place", "verify", "direct", "reorder",
    "keep-partial", "baseline", "hugepages", "strict-placement", "simd", "memory"};

// "Not with --output -": a stream takes the rank's bytes once, in order, as fast as it drains:
// no layout, order, time limit, flush or timeline applies to it. In this order; `value`: the
// message shows it; `unless`: a value that is no departure from the stream (the default).
struct NotForStdout {
  const char* option;
  bool value;
  const char* unless;
};
const NotForStdout kNotForStdout[] = {
    {"file-per-rank", false, nullptr}, {"files", false, nullptr},   {"direct", false, nullptr},
    {"in-place", false, nullptr},      {"io", true, ""},            {"pattern", true, "sequential"},
    {"duration", true, nullptr},       {"timeline", false, nullptr}, {"interval", true, nullptr},
    {"fsync", true, nullptr}};
// clang-format on

Given read_command_line(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.find(kPercent) != std::string::npos) {
      throw UsageError("argument " + std::to_string(i) + " holds a control character (\\x01)");
    }
    std::replace(a.begin(), a.end(), '%', kPercent);
    args.push_back(std::move(a));
  }
  Given g;
  try {
    // Words that belong to no option are collected, never dropped: `--output a b` must not
    // write `a` and forget `b`.
    po::options_description all = describe_options();
    all.add_options()("stray-words", po::value<std::vector<std::string>>());
    po::positional_options_description stray;
    stray.add("stray-words", -1);
    po::store(
        po::command_line_parser(args)
            .options(all)
            .positional(stray)
            .style(po::command_line_style::default_style & ~po::command_line_style::allow_guessing)
            .run(),
        g.vm);
    po::notify(g.vm);
  } catch (const po::error& e) {
    throw UsageError(with_percent(e.what()) + " (see dgen_mpi --help)");
  }
  if (g.vm.count("stray-words")) {
    const std::string word = with_percent(g.vm["stray-words"].as<std::vector<std::string>>().at(0));
    throw UsageError("'" + word +
                     "': a word that belongs to no option (only --analyze takes several "
                     "paths, right after it; see dgen_mpi --help)");
  }
  return g;
}

// --size, the data options, --threads, --simd.
void parse_data(const Given& g, Options& o, Action& action) {
  o.size = parse_size_option("--size", g.text("size"));
  if (g.vm.count("seed")) {
    o.spec.seed = parse_unsigned(
        "--seed", g.text("seed"), 0, UINT64_MAX,
        "must be an integer from 0 to 18446744073709551615 (decimal or 0x hex)", true);
  }
  o.spec.dedup_ratio =
      parse_real("--dedup-ratio", g.text("dedup-ratio"), kMinDedupRatio, kMaxDedupRatio);
  o.spec.compress_ratio = parse_real("--compress-ratio", g.text("compress-ratio"),
                                     kMinCompressRatio, kMaxCompressRatio);
  const std::string unit_range = "must be a power of two from 512B to 1MiB";
  std::uint64_t unit = 0;
  try {
    unit = parse_size(g.text("dedup-unit"));
  } catch (const std::invalid_argument&) {
    bad("--dedup-unit", g.text("dedup-unit"), unit_range);
  }
  if (unit < kMinDedupUnit || unit > kMaxDedupUnit || (unit & (unit - 1)) != 0)
    bad("--dedup-unit", g.text("dedup-unit"), unit_range);
  o.spec.dedup_unit = unit;
  try {
    o.spec.compress_fill = parse_compress_fill(g.text("compress-fill"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (g.vm.count("threads")) {
    o.threads = static_cast<int>(parse_unsigned("--threads", g.text("threads"), 1, kMaxThreads,
                                                "must be an integer from 1 to 4096"));
  }
  o.simd = g.text("simd");
  if (o.simd == "list") {
    action = Action::kListSimd;
  } else if (o.simd != "auto") {
    // A name this build lacks is bad input; a target this node's CPU lacks is refused later,
    // on the node, by every rank that finds it so.
    std::string names = "auto|list";
    bool known = false;
    for (const auto& t : compiled_simd_targets()) {
      names += "|" + t.name;
      known = known || t.name == o.simd;
    }
    if (!known) bad("--simd", o.simd, "must be one of " + names);
  }
}

// --output, --input, --analyze: the mode, which the other options' rules ask about.
void parse_targets(const Given& g, Options& o) {
  if (g.vm.count("output")) {
    o.output = g.text("output");
    if (o.output->empty()) bad("--output", "''", "must be a file path or - for stdout");
  }
  if (g.vm.count("input")) {
    o.input = g.text("input");
    if (o.input->empty()) bad("--input", "''", "must be a file path");
    if (o.output) {
      throw UsageError(
          "--input and --output: give one (write with --output, then read it back "
          "with --input in a second run)");
    }
  }
  if (!g.vm.count("analyze")) return;
  for (const auto& p : g.vm["analyze"].as<std::vector<std::string>>()) {
    if (p.empty()) bad("--analyze", "''", "must be a file, directory or block device path");
    o.analyze.push_back(with_percent(p));
  }
  for (const char* name : kNotWithAnalyze) {
    if (g.given(name))
      throw UsageError(g.shown(name, false) +
                       ": not with --analyze (it measures the data it reads, in "
                       "one pass)");
  }
  if (g.given("size"))
    bad("--size", g.text("size"), "not with --analyze (it reads every byte of the paths)");
}

// What the rules ask about.
Facts facts_of(const Given& g, const Options& o) {
  Facts f;
  f.output = o.output.has_value();
  f.output_file = f.output && *o.output != "-";
  f.input = o.input.has_value();
  f.storage = f.output || f.input;
  f.analyze = !o.analyze.empty();
  const std::string pattern = g.text("pattern");
  if (pattern != "sequential" && pattern != "random" && pattern != "strided")
    bad("--pattern", pattern, "must be sequential, random or strided");
  f.strided = pattern == "strided";
  f.random = pattern == "random";
  f.duration = g.vm.count("duration") > 0;
  f.files = g.vm.count("files") > 0;
  f.verify = g.vm.count("verify") > 0;
  f.plan = g.vm.count("plan") > 0;
  return f;
}

// The "only with" rules of kOnlyRules that are checked before (or after) the values are read.
void check_rules(const Given& g, const Facts& f, bool value_first) {
  for (const OnlyRule& rule : kOnlyRules) {
    if (rule.value_first == value_first && g.given(rule.option) && !rule.holds(f))
      throw UsageError(g.shown(rule.option) + ": " + rule.why);
  }
}

// --analyze's own options.
void parse_analyze_options(const Given& g, Options& o) {
  const std::string units_range =
      "must be comma-separated powers of two from 512B to 1MiB, each once, at most 12";
  const std::string list = g.text("analyze-units");
  std::vector<std::uint64_t> units;
  for (std::size_t a = 0; a <= list.size();) {
    const std::size_t b = std::min(list.find(',', a), list.size());
    std::uint64_t u = 0;
    try {
      u = parse_size(list.substr(a, b - a));
    } catch (const std::invalid_argument&) {
      bad("--analyze-units", list, units_range);
    }
    if (u < 512 || u > (1ULL << 20) || (u & (u - 1)) != 0)
      bad("--analyze-units", list, units_range);
    units.push_back(u);
    a = b + 1;
  }
  std::sort(units.begin(), units.end());
  if (units.size() > 12 || std::adjacent_find(units.begin(), units.end()) != units.end())
    bad("--analyze-units", list, units_range);
  o.analyze_units = units;
  const std::string chunk = g.text("analyze-chunk");
  const std::string chunk_range = "must be a power of two from 4KiB to 64MiB";
  try {
    o.analyze_chunk = parse_size(chunk);
  } catch (const std::invalid_argument&) {
    bad("--analyze-chunk", chunk, chunk_range);
  }
  if (o.analyze_chunk < 4096 || o.analyze_chunk > (64ULL << 20) ||
      (o.analyze_chunk & (o.analyze_chunk - 1)) != 0)
    bad("--analyze-chunk", chunk, chunk_range);
  o.sample = parse_real("--sample", g.text("sample"), 0, 1);
  if (g.vm.count("analyze-memory"))
    o.analyze_memory = parse_size_option("--analyze-memory", g.text("analyze-memory"));
  o.analyze_strict = g.vm.count("strict") > 0;
}

// --phases: some of create,stat,read,delete, each once, in that order.
std::vector<std::string> parse_phases(const std::string& list, bool input) {
  static const char* const kOrder[] = {"create", "stat", "read", "delete"};
  std::vector<std::string> got;
  for (std::size_t a = 0; a <= list.size();) {
    const std::size_t b = std::min(list.find(',', a), list.size());
    got.push_back(list.substr(a, b - a));
    a = b + 1;
  }
  int last = -1;
  for (const auto& p : got) {
    int at = -1;
    for (int k = 0; k < 4; ++k)
      if (p == kOrder[k]) at = k;
    if (at < 0 || at <= last)
      bad("--phases", list, "must be some of create,stat,read,delete, each once, in that order");
    last = at;
  }
  if (input &&
      (list.find("create") != std::string::npos || list.find("delete") != std::string::npos))
    bad("--phases", list, "with --input may be stat and read (create and delete write)");
  return got;
}

// The benchmark's shape: patterns, time bounds, phases (docs/storage.md).
void parse_shape(const Given& g, Options& o) {
  o.file_per_rank = g.vm.count("file-per-rank") > 0;
  o.in_place = g.vm.count("in-place") > 0;
  o.direct = g.vm.count("direct") > 0;
  o.reorder = g.vm.count("reorder") > 0;
  o.pattern = g.text("pattern");
  if (g.vm.count("segments")) {
    o.segments = parse_unsigned("--segments", g.text("segments"), 1, 1'000'000'000,
                                "must be an integer from 1 to 1000000000");
  }
  if (g.vm.count("block")) o.block = parse_size_option("--block", g.text("block"));
  if (o.pattern == "strided") {
    if (!g.vm.count("segments") || !g.vm.count("block"))
      throw UsageError("--pattern strided: needs --segments N and --block SIZE (IOR -s, -b)");
    if (g.vm.count("files") || g.vm.count("file-per-rank"))
      throw UsageError(
          "--pattern strided: is for the shared file (not --files or --file-per-rank)");
    if (o.segments > UINT64_MAX / o.block)
      bad("--segments", g.text("segments"), "x --block passes 2^64 bytes");
    // --size, when given, must be what the segments hold (IOR's -b x -s per rank).
    if (g.given("size") && o.size != o.segments * o.block) {
      bad("--size", g.text("size"),
          "(" + std::to_string(o.size) + " bytes) differs from --segments " + g.text("segments") +
              " x --block " + g.text("block") + " = " + std::to_string(o.segments * o.block) +
              " bytes, what a rank writes with --pattern strided; give that or leave --size out");
    }
    o.size = o.segments * o.block;
  }
  if (g.vm.count("order-seed")) {
    o.order_seed = parse_unsigned(
        "--order-seed", g.text("order-seed"), 0, UINT64_MAX,
        "must be an integer from 0 to 18446744073709551615 (decimal or 0x hex)", true);
  }
  if (g.vm.count("duration")) {
    o.duration = parse_duration("--duration", g.text("duration"), 0.001, 31 * 86400.0,
                                "must be a time from 1ms to 31 days (30s, 500ms, 5min, 2h)");
  }
  o.wear_out = g.vm.count("wear-out") > 0;
  if (o.wear_out && o.input)
    throw UsageError(
        "--wear-out: is for a write (--output), not --input (a read has no file to make whole)");
  o.interval = parse_duration("--interval", g.text("interval"), 0.01, 3600,
                              "must be a time from 10ms to 1h (1s, 250ms, 1min)");
  if (g.vm.count("timeline")) {
    o.timeline = g.text("timeline");
    if (o.timeline->empty()) bad("--timeline", "''", "must be a file path");
  }
  o.unique_dir = g.vm.count("unique-dir") > 0;
  if (g.vm.count("phases")) o.phases = parse_phases(g.text("phases"), o.input.has_value());
}

// --verify, --overwrite, --resume and the dataset's files.
void parse_layout(const Given& g, Options& o) {
  o.verify = g.vm.count("verify") > 0;
  auto has_phase = [&](const char* p) {
    return std::find(o.phases.begin(), o.phases.end(), p) != o.phases.end();
  };
  if (o.verify && !o.phases.empty() && !has_phase("read")) {
    bad("--phases", g.text("phases"),
        "has no read phase, which is where --verify compares: add read, or leave --verify out");
  }
  o.max_mismatches = parse_unsigned("--max-mismatches", g.text("max-mismatches"), 0, 1'000'000,
                                    "must be an integer from 0 to 1000000");
  o.overwrite = g.vm.count("overwrite") > 0;
  if (has_phase("delete") && !has_phase("create") && !o.overwrite) {
    bad("--phases", g.text("phases"),
        "deletes only what this run creates: add create, or --overwrite to remove the dataset's "
        "files that stand there");
  }
  o.resume = g.vm.count("resume") > 0;
  if (o.resume && (o.duration || o.pattern != "sequential"))
    throw UsageError(
        "--resume: continues a sequential write of the whole stream (not with "
        "--duration or --pattern random/strided)");
  if (g.vm.count("files")) {
    o.files = parse_unsigned("--files", g.text("files"), 1, kMaxFiles,
                             "must be an integer from 1 to 1000000000");
    if (!g.vm.count("file-size")) bad("--files", g.text("files"), "needs --file-size SIZE");
    if (g.given("size")) {
      bad("--size", g.text("size"),
          "is refused with --files: the dataset holds --files x --file-size bytes, taken by the "
          "ranks in whole files");
    }
    if (o.file_per_rank) throw UsageError("--file-per-rank and --files: give one layout");
    o.file_size = parse_size_option("--file-size", g.text("file-size"));
    o.files_per_dir = parse_unsigned("--files-per-dir", g.text("files-per-dir"), 1, 1'000'000,
                                     "must be an integer from 1 to 1000000");
    if ((o.files - 1) / o.files_per_dir + 1 > 1'000'000) {
      bad("--files-per-dir", g.text("files-per-dir"),
          "gives --files " + g.text("files") + " more than 1000000 directories; raise it");
    }
  }
  // A shared file or a rank's file PATH.00000000 is a file's path: "dir/" would make the hidden
  // dir/.00000000 (or fail as a directory).
  for (const auto& [option, value] :
       {std::pair<const char*, const std::optional<std::string>*>{"--output", &o.output},
        {"--input", &o.input}}) {
    if (!o.files && *value && (*value)->size() > 1 && (*value)->back() == '/') {
      bad(option, **value,
          std::string("ends in '/', a directory: ") +
              (o.file_per_rank ? "--file-per-rank needs a file path (it writes PATH.00000000, "
                                 "PATH.00000001, ...)"
                               : "a shared file needs a file path") +
              "; a directory takes a dataset (--files N)");
    }
  }
}

// --io, its engine's own options, --iodepth, --direct, --transfer, --fsync, and what a stream
// on stdout refuses.
void parse_engine(const Given& g, Options& o) {
  o.io = g.text("io");
  const io::BackendRow* engine = io::find_backend(o.io);
  if (engine == nullptr)
    bad("--io", o.io, "must be " + join_or(engines_with([](auto&) { return true; })));
  o.iodepth = static_cast<int>(
      parse_unsigned("--iodepth", g.text("iodepth"), 1, 4096, "must be an integer from 1 to 4096"));
  if (g.given("iodepth") && o.iodepth > 1 && !engine->traits.queue_depth)
    bad("--iodepth", g.text("iodepth"),
        "above 1 needs --io " + join_or(engines_with([](auto& t) { return t.queue_depth; })) +
            " (one call in flight per thread)");
  // The engines' own options: each with its engine(s) only; the chosen engine's take their
  // defaults when not given.
  for (const DeclaredOption& e : engine_options()) {
    if (!g.given(e.option->name)) continue;
    engine_value(*e.option, g.text(e.option->name));  // a bad value first, whatever the engine
    if (std::find(e.engines.begin(), e.engines.end(), o.io) == e.engines.end())
      bad(std::string("--") + e.option->name, g.text(e.option->name),
          "is only for --io " + join_or(e.engines));
  }
  std::map<std::string, std::string> engine_given;
  for (const io::EngineOption& opt : engine->traits.options) {
    const bool given = g.given(opt.name);
    const std::string value = given                        ? engine_value(opt, g.text(opt.name))
                              : *opt.default_value != '\0' ? engine_value(opt, opt.default_value)
                                                           : std::string();
    if (given) engine_given[opt.name] = value;
    o.engine_options[opt.name] = value;
  }
  if (o.direct && !engine->traits.direct) {
    const std::string why = engine->traits.no_direct_why;
    throw UsageError("--direct: not with --io " + o.io + (why.empty() ? "" : " (" + why + ")") +
                     "; use --io " + engines_with([](auto& t) { return t.direct; }).front());
  }
  o.transfer = parse_size_option("--transfer", g.text("transfer"));
  if (o.transfer > kMaxTransfer)
    bad("--transfer", g.text("transfer"), "must be from 1 byte to 1GiB");
  o.fsync = parse_on_off("--fsync", g.text("fsync"));
  if (o.output && *o.output == "-") {
    for (const NotForStdout& n : kNotForStdout) {
      const bool departs =
          n.unless ? g.text(n.option) != (*n.unless ? n.unless : default_engine().c_str())
                   : g.given(n.option);
      if (departs)
        throw UsageError("--" + std::string(n.option) + (n.value ? " " + g.text(n.option) : "") +
                         ": not with --output - (stdout)");
    }
  }
  if (engine->traits.check_options) {
    // The engine's own rules for its options with this layout (IOR's check_params).
    const io::LayoutKind layout = o.files           ? io::LayoutKind::kDataset
                                  : o.file_per_rank ? io::LayoutKind::kFilePerRank
                                                    : io::LayoutKind::kSharedFile;
    if (const auto refusal = engine->traits.check_options(engine_given, layout))
      bad("--" + refusal->option, g.text(refusal->option), refusal->why);
  }
}

// The run's other options: iterations, the report, the timeout, placement, --plan.
void parse_run(const Given& g, Options& o, Action& action) {
  const bool storage = o.output || o.input;
  // Bench mode's buffer: its memory nodes. The storage modes move transfer-sized buffers,
  // first touched by the thread that uses them.
  if (storage && g.text("memory") == "hbm")
    bad("--memory", "hbm",
        std::string(kBenchOnly) +
            "; transfer buffers are first touched by their thread, on its node");
  o.iterations_given = g.vm.count("iterations") > 0;
  if (o.resume && o.iterations_given && g.text("iterations") != "1")
    bad("--iterations", g.text("iterations"), "must be 1 with --resume (it continues one write)");
  o.iterations =
      o.iterations_given
          ? static_cast<int>(parse_unsigned("--iterations", g.text("iterations"), 1, kMaxIterations,
                                            "must be an integer from 1 to 1000000"))
          : (storage || !o.analyze.empty() ? 1 : 3);
  const std::string format = g.text("format");
  if (format == "table") {
    o.format = Format::kTable;
  } else if (format == "json") {
    o.format = Format::kJson;
  } else if (format == "csv") {
    o.format = Format::kCsv;
  } else {
    bad("--format", format, "must be table, json or csv");
  }
  if (g.vm.count("report")) {
    o.report = g.text("report");
    if (o.report->empty()) bad("--report", "''", "must be a file path");
  }
  o.keep_partial = g.vm.count("keep-partial") > 0;
  // 0 is off; a limit below a second would end healthy jobs at their first sync.
  const std::string timeout_range =
      "must be 0 (wait forever) or a number of seconds from 1 to 604800";
  try {
    o.timeout_seconds = parse_real("--timeout", g.text("timeout"), 0, 604800);
  } catch (const UsageError&) {
    bad("--timeout", g.text("timeout"), timeout_range);
  }
  if (o.timeout_seconds > 0 && o.timeout_seconds < 1)
    bad("--timeout", g.text("timeout"), timeout_range);
  o.timeout_text = g.text("timeout");
  if (g.vm.count("progress")) o.progress = parse_on_off("--progress", g.text("progress"));
  o.baseline = parse_on_off("--baseline", g.text("baseline"));
  try {
    o.bind = topology::parse_bind_policy(g.text("bind"));
    o.memory = topology::parse_memory_policy(g.text("memory"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  o.smt = g.vm.count("smt") > 0;
  o.hugepages = g.vm.count("hugepages") > 0;
  o.strict_placement = g.vm.count("strict-placement") > 0;
  if (g.vm.count("plan")) action = Action::kPlan;
  if (g.vm.count("topology")) o.topology = g.text("topology");
  if (g.vm.count("ranks")) {
    o.plan_ranks = static_cast<int>(parse_unsigned("--ranks", g.text("ranks"), 1, 1'000'000,
                                                   "must be an integer from 1 to 1000000"));
  }
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine parsed;
  Options& o = parsed.options;
  o.argv.assign(argv, argv + argc);
  const Given g = read_command_line(argc, argv);
  if (g.vm.count("help") || g.vm.count("version")) {
    parsed.action = g.vm.count("help") ? Action::kHelp : Action::kVersion;
    return parsed;
  }
  parse_data(g, o, parsed.action);
  parse_targets(g, o);
  const Facts facts = facts_of(g, o);
  check_rules(g, facts, kRuleFirst);
  parse_analyze_options(g, o);
  parse_shape(g, o);
  parse_layout(g, o);
  parse_engine(g, o);
  check_rules(g, facts, kValueFirst);
  parse_run(g, o, parsed.action);
  validate(o.spec);  // the library's own check, as a backstop
  return parsed;
}

}  // namespace dgen::app
