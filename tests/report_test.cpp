// `archsim plot` and `archsim report`: figures of a run folder and of synthetic experiment folders,
// and a report page that a real browser renders.
//
// System under test: build/archsim (run, plot, report) as child processes; plots/plot.py and
// plots/report.py under Debian's python3-matplotlib; headless Chromium (Debian's `chromium`).
// Expectations: every figure exists as PNG and SVG and is more than a blank canvas; report.html
// embeds its figures (no network, no other file), every <img> decodes in Chromium, and the
// screenshot of the page is not blank. The sweep figures are drawn from results.csv/results.json
// written here, so they do not wait for `archsim experiment`.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/run_helpers.hpp"

using namespace archsim::testing;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long file_size(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

std::string fresh_dir(const std::string& tag) {
  std::string tpl = "/tmp/archsim-report-" + tag + "-XXXXXX";
  std::vector<char> buf(tpl.begin(), tpl.end());
  buf.push_back('\0');
  return mkdtemp(buf.data());
}

// Runs argv[0] (found on PATH) with stdout into `out_path`, stderr into `out_path`.err; kills the
// whole process group after `timeout_s`. Returns the exit code (124 on timeout).
int run_command(const std::vector<std::string>& args, const std::string& out_path, int timeout_s) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open((out_path + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return 124;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string python() { return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3"; }

std::string chromium() {
  const char* env = std::getenv("ARCHSIM_CHROMIUM");
  if (env && *env) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (access(p, X_OK) == 0) return p;
  return "";
}

std::vector<std::string> chromium_args(const std::string& profile) {
  return {chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-component-update", "--no-first-run", "--user-data-dir=" + profile};
}

// A PNG that is a real figure: the signature, and more than a blank canvas's few bytes.
void check_figure(const std::string& dir, const std::string& name) {
  std::string png = dir + "/figures/" + name + ".png", svg = dir + "/figures/" + name + ".svg";
  INFO(png);
  REQUIRE(file_size(png) > 20000);
  CHECK(slurp(png).substr(1, 3) == "PNG");
  REQUIRE(file_size(svg) > 10000);
  CHECK(slurp(svg).find("<svg") != std::string::npos);
}

// Number of distinct RGB colours in a PNG, counted by matplotlib.image.
int distinct_colors(const std::string& png) {
  std::string out = png + ".colors";
  int code = run_command({python(), "-c",
                          "import sys, matplotlib.image as mi\n"
                          "a = mi.imread(sys.argv[1])[:, :, :3].reshape(-1, 3)\n"
                          "print(len({tuple(p) for p in (a * 255).astype('uint8').tolist()}))\n",
                          png},
                         out, 120);
  REQUIRE(code == 0);
  return std::stoi(slurp(out));
}

// Opens report.html in headless Chromium: every image decoded, and the screenshot is not blank.
void check_in_browser(const std::string& dir, int expected_images) {
  REQUIRE_FALSE(chromium().empty());  // scripts/install-deps.sh installs Debian's chromium
  std::string url = "file://" + dir + "/report.html";
  std::vector<std::string> dom = chromium_args(fresh_dir("profile"));
  dom.insert(dom.end(), {"--dump-dom", url});
  std::string dom_out = dir + "/dom.html";
  REQUIRE(run_command(dom, dom_out, 180) == 0);
  std::string text = slurp(dom_out);
  std::string want = "data-images-loaded=\"" + std::to_string(expected_images) + "/" +
                     std::to_string(expected_images) + "\"";
  INFO("chromium stderr: " << slurp(dom_out + ".err").substr(0, 2000));
  CHECK(text.find(want) != std::string::npos);

  std::string shot = dir + "/screenshot.png";
  std::vector<std::string> ss = chromium_args(fresh_dir("profile"));
  ss.insert(ss.end(), {"--screenshot=" + shot, "--window-size=1200,3000", url});
  REQUIRE(run_command(ss, dir + "/screenshot.log", 180) == 0);
  REQUIRE(file_size(shot) > 10000);
  CHECK(distinct_colors(shot) > 50);
}

void check_self_contained(const std::string& html) {
  CHECK(html.find("data:image/png;base64,") != std::string::npos);
  CHECK(html.find("src='http") == std::string::npos);
  CHECK(html.find("src=\"http") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A name as Graphviz writes it in SVG text: '-' as "&#45;".
std::string svg_text(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("&#45;") : std::string(1, c);
  return out;
}

}  // namespace

TEST_CASE("Report: a run folder gets its four figures and a page that renders in Chromium", "[report]") {
  // System under consideration: three-tier for 3 s (1 s warm-up); app CPU near 94% is the verdict.
  std::string dir = fresh_dir("run") + "/run";
  Outcome r = run_archsim({"run", source_path("topologies/three-tier.yaml"), "--set", "run.duration=3s", "--set",
                           "run.warmup=1s", "--out", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  Outcome p = run_archsim({"plot", dir});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  for (const char* name : {"latency_cdf", "latency_histogram", "timeseries", "utilization"}) check_figure(dir, name);

  // The run folder carries its topology and overrides: the assumptions carry the key numbers.
  Outcome full = run_archsim({"report", dir});
  INFO(full.err);
  REQUIRE(full.exit_code == 0);
  std::string html = slurp(dir + "/report.html");
  check_self_contained(html);
  CHECK(html.find("app is cpu-bound") != std::string::npos);
  CHECK(html.find("read 95% (read)") != std::string::npos);
  CHECK(html.find("within a region") != std::string::npos);
  check_in_browser(dir, 4);

  SECTION("without its topology copy the page says what the folder knows, and that the rest is not known") {
    std::remove((dir + "/topology.yaml").c_str());
    Outcome bare = run_archsim({"report", dir});
    INFO(bare.err);
    REQUIRE(bare.exit_code == 0);
    CHECK(slurp(dir + "/report.html").find("carries no copy of the topology") != std::string::npos);
  }
}

TEST_CASE("Report: the run report has the terminal's sections with its numbers, and the design drawn", "[report]") {
  // System under consideration: cap-payment-ledger (a cp store over three regions, ap-south cut off
  // from 20 s to 50 s), shortened to 30 s. Expectations: report.html shows the sections the
  // terminal prints, in its order, with the store's per-region numbers equal to summary.json's;
  // the design is an inline SVG naming every component and every region; the picture is scaled to
  // the page; the page renders in Chromium.
  std::string dir = fresh_dir("ledger") + "/run";
  Outcome r = run_archsim({"run", source_path("topologies/cap-payment-ledger.yaml"), "--set", "run.duration=30s", "--out", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  Outcome rep = run_archsim({"report", dir});
  INFO(rep.err);
  REQUIRE(rep.exit_code == 0);
  std::string html = slurp(dir + "/report.html");
  check_self_contained(html);

  // The terminal's order.
  size_t last = 0;
  for (const char* id : {"sec-design", "sec-run", "sec-steady_state", "sec-components", "sec-latency", "sec-availability", "sec-bottleneck",
                         "sec-critical_path", "sec-faults", "sec-store:store", "sec-network"}) {
    INFO(id);
    size_t at = html.find(std::string("id='") + id + "'");
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  // The store section: summary.json's numbers, as the terminal prints them.
  auto j = nlohmann::json::parse(slurp(dir + "/summary.json"));
  const auto& st = j["stores"]["store"];
  for (const auto& [region, side] : st["availability"]["by_region"].items()) {
    INFO(region);
    std::string row = "<td>" + region + "</td><td class='n'>" + std::to_string(side["reads"].get<uint64_t>()) +
                      "</td><td class='n'>" +
                      fmt::format("{:.2f}%", 100.0 * side["reads_ok"].get<double>() / side["reads"].get<double>());
    CHECK(html.find(row) != std::string::npos);
  }
  CHECK(html.find(fmt::format("stale reads {} of {}", st["stale_reads"].get<uint64_t>(), st["reads_checked"].get<uint64_t>())) !=
        std::string::npos);
  CHECK(html.find(fmt::format("lost acknowledged writes {} of {}", st["lost_acknowledged_writes"].get<uint64_t>(),
                              st["writes_acknowledged"].get<uint64_t>())) != std::string::npos);
  // Availability and SLA, per region; latency per client region; the critical path's rows.
  CHECK(html.find("<td>region ap-south</td>") != std::string::npos);
  CHECK(html.find("<td>99.99%</td>") != std::string::npos);
  CHECK(html.find("in the replication protocol of store") != std::string::npos);
  CHECK(html.find("None") == std::string::npos);

  // The design: inline SVG (scaled by CSS, no fixed size), every component and region named.
  size_t svg = html.find("<svg class='design'");
  REQUIRE(svg != std::string::npos);
  std::string picture = html.substr(svg, html.find("</svg>", svg) - svg);
  for (const char* name : {"us_users", "eu_users", "ap_users", "store", "us-east", "eu-west", "ap-south", "replication",
                           "fault: partition"}) {
    INFO(name);
    CHECK(picture.find(">" + svg_text(name)) != std::string::npos);
  }
  int images = 0;
  for (size_t at = html.find("<img"); at != std::string::npos; at = html.find("<img", at + 1)) ++images;
  check_in_browser(dir, images);

  SECTION("archsim graph --svg draws the same picture from the topology alone") {
    std::string out = dir + "/design.svg";
    Outcome g = run_archsim({"graph", source_path("topologies/cap-payment-ledger.yaml"), "--svg", out});
    INFO(g.err);
    REQUIRE(g.exit_code == 0);
    std::string text = slurp(out);
    CHECK(text.find("<svg") != std::string::npos);
    for (const char* name : {"us_users", "store", "ap-south"}) CHECK(text.find(">" + svg_text(name)) != std::string::npos);
    CHECK(text.find("cpu ") == std::string::npos);  // no run, no utilization
  }
}

TEST_CASE("Report: plot and report refuse a folder that is neither a run nor an experiment", "[report]") {
  std::string empty = fresh_dir("empty");
  Outcome p = run_archsim({"plot", empty});
  CHECK(p.exit_code == 2);
  CHECK(p.err.find("neither summary.json") != std::string::npos);
  CHECK(run_archsim({"report", "/nonexistent-archsim-dir"}).exit_code == 2);
}

TEST_CASE("Report: sweep figures from a synthetic results.csv and results.json", "[report]") {
  // Expectations: a one-parameter load sweep with costs draws the hockey stick (knee at 30k/s,
  // where p99 first passes twice its minimum) and p99 against cost; a two-parameter sweep adds a
  // heatmap; a `compare:` experiment draws comparison bars. Only results.csv for the heatmap one,
  // to check the figures come from either file.
  std::string base = fresh_dir("sweep");

  SECTION("a load sweep with replications and costs") {
    std::string dir = base + "/load";
    mkdir(dir.c_str(), 0755);
    std::ostringstream csv, json;
    csv << "point,replication,seed,components.users.arrival.rate,throughput_rps,latency_ms.p50,latency_ms.p99,"
           "requests.failed,components.app.utilization.cpu,bottleneck.component,bottleneck.resource,"
           "cost.monthly_usd\n";
    const char* rates[] = {"10k/s", "15k/s", "20k/s", "25k/s", "30k/s", "35k/s"};
    double p99[] = {9, 10, 12, 16, 40, 400};
    json << "{\"experiment\": \"load-sweep\", \"topology\": \"three-tier\", \"points\": [";
    for (int i = 0; i < 6; ++i) {
      for (int k = 1; k <= 3; ++k)
        csv << "p" << i << "," << k << "," << k << "," << rates[i] << "," << (10000 + 5000 * i) << ","
            << 3 + 0.1 * i << "," << p99[i] * (1 + 0.05 * (k - 2)) << ",0," << 0.45 + 0.1 * i << ",app,cpu,"
            << 1000 + 150 * i << "\n";
      json << (i ? "," : "") << "{\"id\": \"p" << i << "\", \"parameters\": {\"components.users.arrival.rate\": \""
           << rates[i] << "\"}, \"metrics\": {\"latency_ms.p99\": {\"mean\": " << p99[i]
           << ", \"ci95_half_width\": " << p99[i] * 0.12 << ", \"n\": 3}, \"latency_ms.p50\": {\"mean\": " << 3 + 0.1 * i
           << ", \"ci95_half_width\": 0.1, \"n\": 3}, \"throughput_rps\": {\"mean\": " << 10000 + 5000 * i
           << ", \"ci95_half_width\": 50, \"n\": 3}, \"cost.monthly_usd\": {\"mean\": " << 1000 + 150 * i
           << ", \"ci95_half_width\": 0, \"n\": 3}}}";
    }
    json << "]}\n";
    write(dir + "/results.csv", csv.str());
    write(dir + "/results.json", json.str());
    Outcome p = run_archsim({"plot", dir});
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    check_figure(dir, "sweep_p99");
    check_figure(dir, "cost_p99");
    Outcome rep = run_archsim({"report", dir});
    INFO(rep.err);
    REQUIRE(rep.exit_code == 0);
    std::string html = slurp(dir + "/report.html");
    check_self_contained(html);
    CHECK(html.find("The knee: p99 first exceeds twice its minimum at users.arrival.rate = 30k/s") !=
          std::string::npos);
    CHECK(html.find("app/cpu") != std::string::npos);
  }

  SECTION("a two-parameter sweep, results.csv only") {
    std::string dir = base + "/grid";
    mkdir(dir.c_str(), 0755);
    std::ostringstream csv;
    csv << "point,replication,seed,components.users.arrival.rate,components.app.replicas,throughput_rps,"
           "latency_ms.p50,latency_ms.p99,requests.failed,bottleneck.component\n";
    int pt = 0;
    for (int replicas : {6, 8, 10})
      for (int rate : {10, 20, 30}) {
        for (int k = 1; k <= 2; ++k)
          csv << "p" << pt << "," << k << "," << k << "," << rate << "k/s," << replicas << "," << rate * 1000 << ",3,"
              << 5.0 * rate / replicas + k << ",0,app\n";
        ++pt;
      }
    write(dir + "/results.csv", csv.str());
    Outcome p = run_archsim({"plot", dir});
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    check_figure(dir, "sweep_p99");
    check_figure(dir, "sweep_heatmap");
  }

  SECTION("a compare: experiment with a variant column") {
    std::string dir = base + "/compare";
    mkdir(dir.c_str(), 0755);
    std::ostringstream csv;
    csv << "point,replication,seed,variant,throughput_rps,latency_ms.p50,latency_ms.p99,requests.failed,"
           "bottleneck.component,bottleneck.resource\n";
    const char* variants[] = {"baseline", "bigger-cache", "more-replicas"};
    for (int i = 0; i < 3; ++i)
      for (int k = 1; k <= 3; ++k)
        csv << "p" << i << "," << k << "," << k << "," << variants[i] << "," << 20000 - i << ",3," << 15 - 4 * i + k
            << "," << (i == 0 ? 12 : 0) << "," << (i == 2 ? "db" : "app") << ",cpu\n";
    write(dir + "/results.csv", csv.str());
    Outcome p = run_archsim({"plot", dir});
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    check_figure(dir, "compare");
    Outcome rep = run_archsim({"report", dir});
    INFO(rep.err);
    REQUIRE(rep.exit_code == 0);
    std::string html = slurp(dir + "/report.html");
    CHECK(html.find("more-replicas") != std::string::npos);
    check_in_browser(dir, 1);
  }
}

#include <algorithm>

namespace {

// A PNG's width in pixels, from its IHDR chunk (bytes 16-19, big-endian).
long png_width(const std::string& path) {
  std::string head = slurp(path).substr(0, 24);
  if (head.size() < 24 || head.substr(1, 3) != "PNG") return -1;
  long w = 0;
  for (int i = 16; i < 20; ++i) w = (w << 8) | static_cast<unsigned char>(head[i]);
  return w;
}

// The value of `attr="..."` on report.html's <body> as Chromium left it after the load script ran.
std::string body_attribute(const std::string& dom, const std::string& attr) {
  size_t at = dom.find(attr + "=\"");
  if (at == std::string::npos) return "";
  at += attr.size() + 2;
  return dom.substr(at, dom.find('"', at) - at);
}

std::string dump_dom(const std::string& dir) {
  REQUIRE_FALSE(chromium().empty());
  std::vector<std::string> dom = chromium_args(fresh_dir("profile"));
  dom.insert(dom.end(), {"--window-size=1200,3000", "--dump-dom", "file://" + dir + "/report.html"});
  REQUIRE(run_command(dom, dir + "/dom-widths.html", 180) == 0);
  return slurp(dir + "/dom-widths.html");
}

// The report's page is 1150 px wide at most (report.py's CSS): no figure may be wider.
constexpr long kPageWidthPx = 1150;

}  // namespace

TEST_CASE("Report: a compare experiment of six variants names each variant, in figures no wider than the page",
          "[report]") {
  // System under consideration: six variants of three-tier and the URL shortener at 5k req/s for 2 s
  // (0.5 s warm-up), one replication: four use `set:` on three-tier, two swap the topology (one with a
  // `set:` of its own). Expectations: the compare figure has one panel per metric (p99, p50,
  // throughput, failure rate, availability) and is at most the page's width; every variant's name is
  // on the figure and in the report, "None" nowhere; the base design is the file's first variant;
  // the diff table compares against it, with n/a for intervals of single runs; the assumptions state
  // each point's own 1.5 s window and overrides, from its run folder.
  std::string three = source_path("topologies/three-tier.yaml"), url = source_path("topologies/url-shortener.yaml");
  std::string file = write_temp("six-variants.yaml", fmt::format(R"(name: six-variants
description: six designs under the same 5k req/s
topology: {0}
set:
  run.duration: 2s
  run.warmup: 0.5s
  components.users.arrival.rate: 5k/s
compare:
  as-shipped: {{set: {{}}}}
  more-app: {{set: {{components.app.replicas: 12}}}}
  fewer-app: {{set: {{components.app.replicas: 2, components.app.cores: 2}}}}
  small-db: {{set: {{components.db.cores: 2}}}}
  url-shortener: {{topology: {1}}}
  url-two-redirects: {{topology: {1}, set: {{components.redirect.replicas: 2}}}}
replications: 1
)",
                                                                  three, url));
  std::string dir = fresh_dir("six") + "/exp";
  Outcome e = run_archsim({"experiment", file, "--out", dir, "--jobs", "2"});
  INFO(e.err);
  REQUIRE(e.exit_code == 0);
  const std::vector<std::string> variants{"as-shipped", "more-app", "fewer-app", "small-db", "url-shortener",
                                          "url-two-redirects"};

  Outcome p = run_archsim({"plot", dir});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  check_figure(dir, "compare");
  auto index = nlohmann::json::parse(slurp(dir + "/figures/index.json"));
  REQUIRE(index["figures"].size() >= 1);
  const auto& compare = index["figures"][0];
  CHECK(compare["name"] == "compare");
  std::string svg = slurp(dir + "/figures/compare.svg");
  // One panel per metric, each titled (matplotlib keeps every text as a comment in the SVG).
  for (const char* metric : {"latency_ms.p99", "latency_ms.p50", "throughput_rps", "failure_rate_pct", "availability_pct"}) {
    INFO(metric);
    CHECK(std::find(compare["panels"].begin(), compare["panels"].end(), metric) != compare["panels"].end());
  }
  for (const char* title : {"p99 end-to-end latency", "p50 end-to-end latency", "throughput (completed)",
                            "failure rate: failed / generated", "availability"})
    CHECK(svg.find(std::string("<!-- ") + title + " -->") != std::string::npos);
  for (const auto& v : variants) {
    INFO(v);
    CHECK(svg.find("<!-- " + v) != std::string::npos);
  }
  CHECK(svg.find("<!-- as-shipped (base)") != std::string::npos);
  CHECK(svg.find("None") == std::string::npos);
  for (const auto& f : index["figures"]) {
    INFO(f["png"]);
    long w = png_width(dir + "/" + f["png"].get<std::string>());
    CHECK(w > 0);
    CHECK(w <= kPageWidthPx);
  }

  Outcome rep = run_archsim({"report", dir});
  INFO(rep.err);
  REQUIRE(rep.exit_code == 0);
  std::string html = slurp(dir + "/report.html");
  check_self_contained(html);
  CHECK(html.find("None") == std::string::npos);
  for (const auto& v : variants) {
    INFO(v);
    CHECK(html.find("<td>" + v) != std::string::npos);
  }
  CHECK(html.find("varied: 6 variants (as-shipped, more-app, fewer-app, small-db, url-shortener, "
                  "url-two-redirects)") != std::string::npos);
  CHECK(html.find("Lowest p99: ") != std::string::npos);
  CHECK(html.find("Lowest p99: components.") == std::string::npos);
  // The diff table against the file's first variant; single runs have no interval.
  CHECK(html.find("id='sec-diff'") != std::string::npos);
  CHECK(html.find("Against the base design <b>as-shipped</b>") != std::string::npos);
  CHECK(html.find("± n/a") != std::string::npos);
  CHECK(html.find("± 0 ") == std::string::npos);
  // Each point's own window and overrides, and its topology copy.
  CHECK(html.find("1.5 s after 0.5 s warm-up") != std::string::npos);
  CHECK(html.find("components.app.replicas=12") != std::string::npos);
  CHECK(html.find("points/url-two-redirects/r1/topology.yaml") != std::string::npos);
  CHECK(html.find("carries no copy of the topology") == std::string::npos);

  int images = static_cast<int>(index["figures"].size());
  check_in_browser(dir, images);
  std::string dom = dump_dom(dir);
  INFO("widest " << body_attribute(dom, "data-widest-image") << ", page " << body_attribute(dom, "data-page-width"));
  REQUIRE_FALSE(body_attribute(dom, "data-widest-image").empty());
  CHECK(std::stol(body_attribute(dom, "data-widest-image")) <= kPageWidthPx);
  CHECK(std::stol(body_attribute(dom, "data-widest-image")) <= std::stol(body_attribute(dom, "data-page-width")));
}

TEST_CASE("Report: a load sweep draws goodput and the failure rate beside p99", "[report]") {
  // System under consideration: three-tier at 5k, 20k and 40k req/s for 2 s (0.5 s warm-up), one
  // replication. At 40k/s the 32 app cores (about 21k/s) saturate, queues fill and requests fail.
  // Expectations: sweep_p99 has its p99, goodput and failure-rate panels, the knee is named in the
  // report, and the 40k/s point's failure rate is above 0%.
  std::string file = write_temp("load-sweep.yaml", fmt::format(R"(name: load-sweep
description: three-tier under rising load
topology: {}
set:
  run.duration: 2s
  run.warmup: 0.5s
sweep:
  components.users.arrival.rate: [5k/s, 20k/s, 40k/s]
)",
                                                               source_path("topologies/three-tier.yaml")));
  std::string dir = fresh_dir("loadsweep") + "/exp";
  Outcome e = run_archsim({"experiment", file, "--out", dir, "--jobs", "2"});
  INFO(e.err);
  REQUIRE(e.exit_code == 0);
  Outcome rep = run_archsim({"report", dir});
  INFO(rep.err);
  REQUIRE(rep.exit_code == 0);
  check_figure(dir, "sweep_p99");
  std::string svg = slurp(dir + "/figures/sweep_p99.svg");
  for (const char* title : {"p99 (and p50) latency", "goodput: completed requests/s", "failure rate: failed / generated"})
    CHECK(svg.find(std::string("<!-- ") + title + " -->") != std::string::npos);
  CHECK(png_width(dir + "/figures/sweep_p99.png") <= kPageWidthPx);
  std::string html = slurp(dir + "/report.html");
  CHECK(html.find("The knee: p99 first exceeds twice its minimum at users.arrival.rate = ") != std::string::npos);
  CHECK(html.find("failure rate (%)") != std::string::npos);
  CHECK(html.find("Failing requests: 40k/s") != std::string::npos);
  CHECK(html.find("None") == std::string::npos);
}

TEST_CASE("Report: the time series leaves a gap where nothing completed, and shades the fault", "[report]") {
  // System under consideration: three-tier at 5k req/s for 6 s (1 s warm-up) with every app replica
  // crashed from 2 s to 4 s: the load balancer's requests are refused, nothing completes in seconds
  // 2 and 3. Expectations: timeseries.csv says so; the figure's p99 has a gap there (not a p99 of 0),
  // recorded in figures/index.json; the fault window is shaded and named; the figure has its backlog panel.
  std::string topo = slurp(source_path("topologies/three-tier.yaml")) + "faults:\n  - {crash: app, at: 2s, for: 2s}\n";
  std::string file = write_temp("three-tier-crash.yaml", topo);
  std::string dir = fresh_dir("gap") + "/run";
  Outcome r = run_archsim({"run", file, "--set", "run.duration=6s", "--set", "run.warmup=1s", "--set",
                           "components.users.arrival.rate=5k/s", "--out", dir});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream csv(slurp(dir + "/timeseries.csv"));
  std::string line;
  int zero_seconds = 0;
  while (std::getline(csv, line))
    if (line.rfind("2,users,0,", 0) == 0 || line.rfind("3,users,0,", 0) == 0) ++zero_seconds;
  REQUIRE(zero_seconds == 2);

  Outcome p = run_archsim({"plot", dir});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  check_figure(dir, "timeseries");
  auto index = nlohmann::json::parse(slurp(dir + "/figures/index.json"));
  nlohmann::json ts;
  for (const auto& f : index["figures"])
    if (f["name"] == "timeseries") ts = f;
  REQUIRE(ts.is_object());
  REQUIRE(ts["p99_gaps_s"].contains("users"));
  bool covers = false;
  for (const auto& span : ts["p99_gaps_s"]["users"])
    covers = covers || (span[0].get<double>() <= 2 && span[1].get<double>() >= 4);
  CHECK(covers);
  std::string svg = slurp(dir + "/figures/timeseries.svg");
  CHECK(svg.find("<!-- fault: crash app -->") != std::string::npos);
  CHECK(svg.find("<!-- backlog -->") != std::string::npos);
  for (const auto& f : index["figures"]) CHECK(png_width(dir + "/" + f["png"].get<std::string>()) <= kPageWidthPx);
}

TEST_CASE("Report: a variant that adds a fault runs with it, and its time series shades it", "[report]") {
  // System under consideration: an experiment comparing three-tier (5k req/s, 6 s, 1 s warm-up) as
  // it is with a variant whose add_faults crashes every app replica from 2 s to 4 s. Expectations:
  // the variant's run reports the fault and the other's has none; the variant's time series shades
  // and names the window, the other's does not.
  std::string exp = "name: crash-variant\ndescription: three-tier with and without an app crash\n"
                    "topology: " + source_path("topologies/three-tier.yaml") + "\n"
                    "set: {run.duration: 6s, run.warmup: 1s, components.users.arrival.rate: 5k/s}\n"
                    "compare:\n"
                    "  as-is: {set: {}}\n"
                    "  app-crash:\n"
                    "    add_faults:\n"
                    "      - {crash: app, at: 2s, for: 2s}\n";
  std::string file = write_temp("crash-variant.yaml", exp);
  std::string out = fresh_dir("crash-variant") + "/exp";
  Outcome e = run_archsim({"experiment", file, "--out", out, "--jobs", "2"});
  INFO(e.err);
  REQUIRE(e.exit_code == 0);
  auto summary = [&](const std::string& id) { return nlohmann::json::parse(slurp(out + "/points/" + id + "/r1/summary.json")); };
  nlohmann::json crashed = summary("app-crash"), plain = summary("as-is");
  REQUIRE(crashed.contains("faults"));
  CHECK(crashed["faults"][0]["kind"] == "crash");
  CHECK(crashed["faults"][0]["target"] == "app");
  CHECK_FALSE(plain.contains("faults"));
  for (const char* id : {"app-crash", "as-is"}) {
    std::string run = out + "/points/" + id + "/r1";
    Outcome p = run_archsim({"plot", run});
    INFO(id << ": " << p.err);
    REQUIRE(p.exit_code == 0);
    std::string svg = slurp(run + "/figures/timeseries.svg");
    CHECK((svg.find("<!-- fault: crash app -->") != std::string::npos) == (std::string(id) == "app-crash"));
  }
}
