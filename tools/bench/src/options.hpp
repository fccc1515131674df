// Option parsing shared by the subcommands.
#pragma once

#include <chrono>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace aip::bench {

// Parses `arguments` against `description`. Returns nullopt after writing the help to `help`
// when --help is given. Throws boost::program_options::error on an invalid option.
inline std::optional<boost::program_options::variables_map> parse_arguments(
    boost::program_options::options_description& description, const std::vector<std::string>& arguments,
    std::string& help) {
    namespace po = boost::program_options;
    description.add_options()("help,h", "print this help and exit");
    po::variables_map values;
    po::store(po::command_line_parser(arguments).options(description).run(), values);
    if (values.count("help") != 0) {
        std::ostringstream text;
        text << description;
        help = text.str();
        return std::nullopt;
    }
    po::notify(values);
    return values;
}

// Parses a comma-separated list of positive counts ("1000,10000,50000").
inline std::vector<std::size_t> parse_counts(const std::string& text, const std::string& option) {
    std::vector<std::size_t> counts;
    std::istringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        std::size_t used = 0;
        unsigned long long value = 0;
        try {
            value = std::stoull(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != item.size() || value == 0) {
            throw std::invalid_argument("invalid value '" + text + "' for --" + option +
                                        ": expected positive integers separated by commas");
        }
        counts.push_back(static_cast<std::size_t>(value));
    }
    if (counts.empty()) {
        throw std::invalid_argument("invalid value '' for --" + option + ": expected at least one count");
    }
    return counts;
}

// Converts a count of milliseconds given on the command line.
inline std::chrono::milliseconds milliseconds_option(long long value, const std::string& option) {
    if (value <= 0) {
        throw std::invalid_argument("invalid value '" + std::to_string(value) + "' for --" + option +
                                    ": must be above zero (milliseconds)");
    }
    return std::chrono::milliseconds{value};
}

}  // namespace aip::bench
