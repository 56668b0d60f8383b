#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/yaml_json.h"
#include "core/data/csv_reader.h"
#include "core/data/feature_schema.h"
#include "core/data/synthetic/generator.h"
#include "core/data/table.h"

namespace fedcrm::data::synthetic {
namespace {

std::string Generate(const std::string& task, const std::string& region, std::int64_t rows,
                     std::uint64_t seed, GenerationSummary* summary = nullptr) {
  std::ostringstream out;
  GenerateCsv({task, region, rows, seed}, out, summary);
  return out.str();
}

// A generated file, parsed by fedcrm's own reader, as a header and rows of
// named cells.
struct Table {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

Table Parse(const std::string& csv) {
  std::istringstream in(csv);
  CsvReader reader(in, "<generated>");
  Table table;
  CsvRecord record;
  EXPECT_TRUE(reader.Next(&record));
  table.header = record.fields;
  while (reader.Next(&record)) {
    EXPECT_EQ(record.fields.size(), table.header.size()) << "line " << record.line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < table.header.size() && i < record.fields.size(); ++i) {
      row[table.header[i]] = record.fields[i];
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

double Share(const std::vector<std::map<std::string, std::string>>& rows,
             const std::function<bool(const std::map<std::string, std::string>&)>& select,
             const std::string& label, const std::string& value) {
  int selected = 0;
  int hits = 0;
  for (const auto& row : rows) {
    if (!select(row)) continue;
    ++selected;
    hits += row.at(label) == value;
  }
  return selected == 0 ? 0.0 : static_cast<double>(hits) / selected;
}

// How much more often `label` is `value` among rows where `column` >= high
// than among rows where it is <= low (blank cells are left out).
double Lift(const Table& table, const std::string& column, double high, double low,
            const std::string& label, const std::string& value) {
  auto at_least = [&](const auto& row) {
    return !row.at(column).empty() && std::stod(row.at(column)) >= high;
  };
  auto at_most = [&](const auto& row) {
    return !row.at(column).empty() && std::stod(row.at(column)) <= low;
  };
  return Share(table.rows, at_least, label, value) - Share(table.rows, at_most, label, value);
}

TEST(SyntheticGeneratorTest, ListsTasksRegionsAndDefaultSizes) {
  EXPECT_EQ(Tasks(), (std::vector<std::string>{"churn", "lead-scoring", "service"}));
  for (const std::string& task : Tasks()) {
    const std::vector<std::string> regions = Regions(task);
    for (const char* region : {"eu", "us", "apac"}) {
      EXPECT_NE(std::find(regions.begin(), regions.end(), region), regions.end())
          << task << " lacks " << region;
    }
    std::set<std::int64_t> sizes;
    for (const std::string& region : regions) {
      EXPECT_GE(DefaultRows(task, region), 5000) << task << "/" << region;
      sizes.insert(DefaultRows(task, region));
    }
    EXPECT_EQ(sizes.size(), regions.size()) << task << ": regions should differ in size";
  }
  EXPECT_EQ(DefaultRows("churn", "us"), 30000);
}

TEST(SyntheticGeneratorTest, SameSeedIsByteIdenticalOtherSeedsAndRegionsDiffer) {
  for (const std::string& task : Tasks()) {
    const std::string first = Generate(task, "eu", 300, 42);
    EXPECT_EQ(first, Generate(task, "eu", 300, 42)) << task;
    EXPECT_NE(first, Generate(task, "eu", 300, 43)) << task;
    // Rows after the id column: another region draws other values.
    const std::string us = Generate(task, "us", 300, 42);
    EXPECT_NE(first.substr(first.find('\n')), us.substr(us.find('\n'))) << task;
  }
}

TEST(SyntheticGeneratorTest, ShorterFileIsAPrefixOfALongerOne) {
  const std::string short_file = Generate("service", "apac", 50, 9);
  const std::string long_file = Generate("service", "apac", 120, 9);
  EXPECT_EQ(long_file.substr(0, short_file.size()), short_file);
}

// Pins the generative models: the numbers in docs/data.md were measured on
// this output, so a change here means re-measuring them.
TEST(SyntheticGeneratorTest, FirstRecordsAreStable) {
  auto second_line = [](const std::string& csv) {
    const size_t start = csv.find("\r\n") + 2;
    return csv.substr(start, csv.find("\r\n", start) - start);
  };
  EXPECT_EQ(second_line(Generate("churn", "eu", 1, 1)),
            "A-EU-000001,eu,53,basic,2,false,4.5,0.193,2,0,0,2,7,1,yes");
  EXPECT_EQ(second_line(Generate("lead-scoring", "eu", 1, 1)),
            "L-EU-000001,eu,manufacturing,enterprise,event,2,1,1,0,2,26,34,true,no");
  EXPECT_EQ(second_line(Generate("service", "eu", 1, 1)),
            "T-EU-000001,eu,billing_portal,medium,email,fr,standard,\"plan, payment not today "
            "payment help please still again our \"\"E1154\"\"\",refund_credit");
}

TEST(SyntheticGeneratorTest, HeaderIsIdThenSchemaFeaturesThenLabel) {
  for (const std::string& task : Tasks()) {
    const nlohmann::json schema = DefaultSchema(task);
    GenerationSummary summary;
    const Table table = Parse(Generate(task, "apac", 250, 3, &summary));
    ASSERT_EQ(table.header.size(), schema.at("features").size() + 2) << task;
    EXPECT_TRUE(table.header.front().ends_with("_id")) << task;
    for (size_t i = 0; i < schema.at("features").size(); ++i) {
      EXPECT_EQ(table.header[i + 1], schema["features"][i]["name"]) << task;
    }
    EXPECT_EQ(table.header.back(), schema["label"]["name"]) << task;
    EXPECT_EQ(table.rows.size(), 250u) << task;
    EXPECT_EQ(summary.rows, 250) << task;

    std::set<std::string> ids;
    std::int64_t counted = 0;
    for (const auto& row : table.rows) ids.insert(row.at(table.header.front()));
    for (const auto& [value, count] : summary.label_counts) counted += count;
    EXPECT_EQ(ids.size(), 250u) << task << ": ids must be unique";
    EXPECT_EQ(counted, 250) << task;
  }
}

TEST(SyntheticGeneratorTest, ZeroRowsWritesOnlyTheHeader) {
  GenerationSummary summary;
  const std::string csv = Generate("churn", "eu", 0, 1, &summary);
  EXPECT_EQ(csv.find("\r\n"), csv.size() - 2);
  EXPECT_EQ(summary.rows, 0);
}

TEST(SyntheticGeneratorTest, ValuesStayInsideTheSchema) {
  for (const std::string& task : Tasks()) {
    const nlohmann::json schema = DefaultSchema(task);
    for (const std::string& region : Regions(task)) {
      const Table table = Parse(Generate(task, region, 400, 5));
      for (const nlohmann::json& feature : schema["features"]) {
        const std::string name = feature["name"];
        for (const auto& row : table.rows) {
          const std::string& cell = row.at(name);
          if (feature["type"] == "categorical") {
            const auto& vocabulary = feature["vocabulary"];
            EXPECT_NE(std::find(vocabulary.begin(), vocabulary.end(), cell), vocabulary.end())
                << task << "/" << region << " " << name << " = '" << cell << "'";
          } else if (feature["type"] == "boolean") {
            EXPECT_TRUE(cell == "true" || cell == "false") << name << " = '" << cell << "'";
          }
        }
      }
      const nlohmann::json& label = schema["label"];
      std::vector<std::string> classes =
          label.contains("classes")
              ? label["classes"].get<std::vector<std::string>>()
              : std::vector<std::string>{label["negative"], label["positive"]};
      for (const auto& row : table.rows) {
        EXPECT_NE(std::find(classes.begin(), classes.end(), row.at(label["name"])), classes.end());
      }
    }
  }
}

TEST(SyntheticGeneratorTest, BlanksOnlyNumericCellsThatMayBeMissing) {
  for (const std::string& task : {std::string("churn"), std::string("lead-scoring")}) {
    const nlohmann::json schema = DefaultSchema(task);
    const Table table = Parse(Generate(task, "apac", 3000, 11));
    int blankable_cells = 0;
    int blanks = 0;
    for (const nlohmann::json& feature : schema["features"]) {
      const bool may_be_blank = feature["type"] == "numeric" && feature["missing"] != "error";
      for (const auto& row : table.rows) {
        const bool blank = row.at(feature["name"]).empty();
        if (!may_be_blank) {
          ASSERT_FALSE(blank) << task << ": " << feature["name"] << " must never be blank";
        }
        blankable_cells += may_be_blank;
        blanks += may_be_blank && blank;
      }
    }
    const double rate = static_cast<double>(blanks) / blankable_cells;
    EXPECT_GT(rate, 0.005) << task;
    EXPECT_LT(rate, 0.05) << task;
  }
}

TEST(SyntheticGeneratorTest, QuotesTicketTextWithCommasAndQuotes) {
  const std::string csv = Generate("service", "us", 400, 2);
  EXPECT_NE(csv.find("\"\"E"), std::string::npos) << "expected a doubled quote";
  bool comma_inside_text = false;
  for (const auto& row : Parse(csv).rows) {
    const std::string& text = row.at("ticket_text");
    comma_inside_text |= text.find(',') != std::string::npos;
    EXPECT_FALSE(text.empty());
  }
  EXPECT_TRUE(comma_inside_text);
}

TEST(SyntheticGeneratorTest, LabelRatesDifferByRegion) {
  for (const std::string& task : Tasks()) {
    std::map<std::string, std::map<std::string, double>> shares;
    for (const std::string& region : Regions(task)) {
      GenerationSummary summary;
      Generate(task, region, 4000, 13, &summary);
      for (const auto& [value, count] : summary.label_counts) {
        shares[region][value] = static_cast<double>(count) / summary.rows;
      }
    }
    // Some label value's share differs by at least 4 points between each
    // pair of regions.
    const std::vector<std::string> regions = Regions(task);
    for (size_t a = 0; a < regions.size(); ++a) {
      for (size_t b = a + 1; b < regions.size(); ++b) {
        double largest = 0;
        for (const auto& [value, share] : shares[regions[a]]) {
          largest = std::max(largest, std::fabs(share - shares[regions[b]][value]));
        }
        EXPECT_GT(largest, 0.04) << task << ": " << regions[a] << " vs " << regions[b];
      }
    }
  }
}

// The product story: each region's buyers respond to a different engagement.
TEST(SyntheticGeneratorTest, LeadsConvertOnTheirRegionsEngagement) {
  std::map<std::string, Table> tables;
  for (const std::string& region : Regions("lead-scoring")) {
    tables[region] = Parse(Generate("lead-scoring", region, 6000, 17));
  }
  auto lift = [&](const std::string& region, const std::string& column) {
    return Lift(tables[region], column, 2, 0, "converted", "yes");
  };
  const std::map<std::string, std::string> driver = {
      {"eu", "whitepapers_downloaded"}, {"us", "demos_attended"}, {"apac", "meetings_held"}};
  for (const auto& [region, column] : driver) {
    EXPECT_GT(lift(region, column), 0.2) << region << " " << column;
    for (const auto& [other, unused] : driver) {
      if (other == region) continue;
      EXPECT_LT(lift(other, column), 0.1) << other << " " << column;
    }
  }
}

// Globally, declining logins and friction tickets predict churn; each region
// shows one part strongly and the others weakly.
TEST(SyntheticGeneratorTest, ChurnSignalsAreSplitAcrossRegions) {
  std::map<std::string, Table> tables;
  for (const std::string& region : Regions("churn")) {
    tables[region] = Parse(Generate("churn", region, 6000, 19));
  }
  // login_trend: a decline of 10% or more against stable or growing logins.
  auto decline_lift = [&](const std::string& region) {
    return -Lift(tables[region], "login_trend", 0.0, -0.1, "churned", "yes");
  };
  auto ticket_lift = [&](const std::string& region, const std::string& column) {
    return Lift(tables[region], column, 2, 0, "churned", "yes");
  };
  EXPECT_GT(decline_lift("eu"), 0.3);
  EXPECT_LT(decline_lift("us"), 0.2);
  EXPECT_GT(ticket_lift("us", "tickets_integration"), 0.3);
  EXPECT_LT(ticket_lift("eu", "tickets_integration"), 0.2);
  EXPECT_LT(ticket_lift("apac", "tickets_integration"), 0.2);
  EXPECT_GT(ticket_lift("apac", "tickets_billing"), 0.3);
  EXPECT_LT(ticket_lift("us", "tickets_billing"), 0.15);
}

TEST(SyntheticGeneratorTest, FilesReadUnderTheirSchema) {
  for (const std::string& task : Tasks()) {
    const FeatureSchema schema = FeatureSchema::FromJson(DefaultSchema(task), task + " schema");
    for (const std::string& region : Regions(task)) {
      std::istringstream in(Generate(task, region, 500, 23));
      const ParsedTable table = ReadTable(in, task + "/" + region, schema);
      EXPECT_EQ(table.rows(), 500) << task << "/" << region;
      EXPECT_EQ(table.columns.size(), schema.features().size());
    }
  }
}

// examples/schemas/<task>.yaml is what users copy into their FederatedRound;
// it must say exactly what DefaultSchema says.
TEST(SyntheticGeneratorTest, ExampleSchemasMatchDefaults) {
  for (const std::string& task : Tasks()) {
    const std::string path = "examples/schemas/" + task + ".yaml";
    EXPECT_EQ(ReadYamlFile(path), DefaultSchema(task)) << path;
  }
}

TEST(SyntheticGeneratorTest, UnknownTaskOrRegionNamesTheChoices) {
  try {
    Generate("upsell", "eu", 1, 1);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "task");
    EXPECT_NE(std::string(e.what()).find("'upsell'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("churn, lead-scoring, service"), std::string::npos)
        << e.what();
  }
  try {
    DefaultRows("churn", "mars");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.where(), "region");
    EXPECT_NE(std::string(e.what()).find("'mars'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("eu, us, apac"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Regions("upsell"), ConfigError);
  EXPECT_THROW(DefaultSchema(""), ConfigError);
  EXPECT_THROW(Generate("churn", "EU", 1, 1), ConfigError);
  EXPECT_THROW(Generate("churn", "eu", -1, 1), ConfigError);
}

}  // namespace
}  // namespace fedcrm::data::synthetic
