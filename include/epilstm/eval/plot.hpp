// What the evaluation report plots (eval/report.hpp), separate from how: the report builds these
// descriptions (data, titles, axes) and hands them to a plotter. The `epilstm` program's plotter
// draws PNGs with gnuplot (examples/epilstm/plots.cpp); no_plotter draws nothing and says why.
#pragma once

#include <Eigen/Core>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace epilstm::eval {

struct plot_result {
    std::filesystem::path png;  ///< empty when the plot was not drawn
    std::string error;          ///< why not
};

/// Grouped bars: one group per `groups` label, one bar per series; values[s][g] (NaN: no bar).
/// `errors` (empty: none) has the shape of values: the half-length of each bar's error bar
/// (NaN: no error bar for that bar).
struct bar_plot {
    std::filesystem::path stem;  ///< <stem>.png (and the plotter's data/script beside it)
    std::string title, ylabel;
    std::vector<std::string> groups, series;
    std::vector<std::vector<double>> values;
    double ymin = 0, ymax = 1;
    std::vector<std::vector<double>> errors = {};
};

/// Lines over x (log scale when log_x): values[s][i] at x[i].
struct line_plot {
    std::filesystem::path stem;
    std::string title, xlabel, ylabel;
    std::vector<double> x;
    std::vector<std::string> series;
    std::vector<std::vector<double>> values;
    bool log_x = false;
};

/// A 2D histogram counts[nx, ny] over [x_min, x_max] × [y_min, y_max].
struct heatmap_plot {
    std::filesystem::path stem;
    std::string title, xlabel, ylabel;
    Eigen::MatrixXd counts;
    double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
};

class plotter {
public:
    virtual ~plotter() = default;
    virtual plot_result draw(const bar_plot&) const = 0;
    virtual plot_result draw(const line_plot&) const = 0;
    virtual plot_result draw(const heatmap_plot&) const = 0;
};

/// Draws nothing; the report says why.
class no_plotter final : public plotter {
public:
    explicit no_plotter(std::string why = "no plotter given") : why_(std::move(why)) {}
    plot_result draw(const bar_plot&) const override { return {{}, why_}; }
    plot_result draw(const line_plot&) const override { return {{}, why_}; }
    plot_result draw(const heatmap_plot&) const override { return {{}, why_}; }

private:
    std::string why_;
};

}  // namespace epilstm::eval
