// PNG plots for `epilstm evaluate`, drawn by gnuplot (Debian gnuplot-nox, pngcairo terminal). Each
// plot leaves its data (.dat) and script (.gp) beside the PNG, so it can be redrawn or restyled.
// When gnuplot is missing or fails, the functions return the reason instead of a path; the report
// says so and everything else is still written.
#pragma once

#include <Eigen/Core>

#include <filesystem>
#include <string>
#include <vector>

namespace epilstm::cli {

struct plot_result {
    std::filesystem::path png;  ///< empty when the plot was not drawn
    std::string error;          ///< why not
};

/// Grouped bars: one group per `groups` label, one bar per series; values[s][g] (NaN: no bar).
plot_result plot_bars(const std::filesystem::path& stem, const std::string& title, const std::string& ylabel,
                      const std::vector<std::string>& groups, const std::vector<std::string>& series,
                      const std::vector<std::vector<double>>& values, double ymin = 0, double ymax = 1);

/// Lines over x (log scale when log_x): values[s][i] at x[i].
plot_result plot_lines(const std::filesystem::path& stem, const std::string& title, const std::string& xlabel,
                       const std::string& ylabel, const std::vector<double>& x, const std::vector<std::string>& series,
                       const std::vector<std::vector<double>>& values, bool log_x);

/// A 2D histogram counts[nx, ny] over [x_min, x_max] × [y_min, y_max], colour on a log scale.
plot_result plot_heatmap(const std::filesystem::path& stem, const std::string& title, const std::string& xlabel,
                         const std::string& ylabel, const Eigen::MatrixXd& counts, double x_min, double x_max,
                         double y_min, double y_max);

}  // namespace epilstm::cli
