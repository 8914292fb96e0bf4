#include "sim/report/document.hpp"

namespace archsim {

std::string render_terminal(const RunReport& doc) {
  std::string out;
  for (const auto& s : doc.sections)
    for (const auto& b : s.blocks) out += b.text;
  return out;
}

nlohmann::ordered_json report_json(const RunReport& doc) {
  nlohmann::ordered_json sections = nlohmann::ordered_json::array();
  for (const auto& s : doc.sections) {
    nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
    for (const auto& b : s.blocks) {
      nlohmann::ordered_json bj;
      bj["text"] = b.text;
      if (b.table) {
        nlohmann::ordered_json rows = nlohmann::ordered_json::array();
        for (const auto& row : b.table->rows) {
          nlohmann::ordered_json rj;
          rj["cells"] = row.cells;
          if (!row.detail.empty()) rj["detail"] = row.detail;
          rows.push_back(rj);
        }
        bj["table"] = {{"columns", b.table->columns}, {"align", b.table->align}, {"rows", rows}};
        bj["table_is_text"] = b.table_is_text;
      }
      blocks.push_back(bj);
    }
    nlohmann::ordered_json sj{{"id", s.id}, {"title", s.title}, {"blocks", blocks}};
    if (s.alert) sj["alert"] = true;
    sections.push_back(sj);
  }
  return {{"sections", sections}};
}

}  // namespace archsim
