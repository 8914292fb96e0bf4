// A run's report as sections, one source for the terminal summary and for report.html: each block
// holds the terminal's lines and, where the terminal lays values out in columns, the same values as
// table cells, formatted once. `archsim run` prints the text; report.json carries both, and
// plots/report.py renders the sections in the same order without computing a number itself.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace archsim {

struct ReportTable {
  std::vector<std::string> columns;
  std::string align;  // one letter per column: 'l' or 'r'
  struct Row {
    std::vector<std::string> cells;
    std::string detail;  // lines printed under the row (an edge, a cache, a failover), or ""
  };
  std::vector<Row> rows;
};

struct ReportBlock {
  std::string text;                  // the terminal's lines, each ending in '\n'
  std::optional<ReportTable> table;  // the same values as cells
  // true: the table is the text laid out in cells (the page shows the table alone); false: the
  // table adds a breakdown the terminal leaves out (the page shows the text, then the table).
  bool table_is_text = true;
};

struct ReportSection {
  std::string id;     // stable: run, components, latency, availability, bottleneck, ...
  std::string title;  // what the page's heading says
  std::vector<ReportBlock> blocks;
  bool alert = false;  // the section says the run cannot answer something: the page sets it apart
  ReportSection& text(std::string lines) {
    if (!lines.empty()) blocks.push_back({std::move(lines), std::nullopt, true});
    return *this;
  }
  ReportSection& table(std::string lines, ReportTable t, bool is_text = true) {
    blocks.push_back({std::move(lines), std::move(t), is_text});
    return *this;
  }
};

struct RunReport {
  std::vector<ReportSection> sections;
  ReportSection& add(std::string id, std::string title) {
    sections.push_back({std::move(id), std::move(title), {}, false});
    return sections.back();
  }
};

// The terminal summary: every block's text, in order.
std::string render_terminal(const RunReport& doc);
// report.json: {"sections": [{"id", "title", "blocks": [{"text", "table"?: {"columns", "align",
// "rows": [{"cells", "detail"?}]}, "table_is_text"?}], "alert"?}]}; "alert" is there only when true.
nlohmann::ordered_json report_json(const RunReport& doc);

}  // namespace archsim
