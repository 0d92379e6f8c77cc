// The reports rendered from a profiled run, one writer per file: the Chrome trace, the task table,
// the text summary, the SVG timeline, the HTML report, and the comparison of several runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "profile/profile_run.hpp"

namespace multirank::detail {

/// Writes trace.json, tasks.csv, summary.txt, timeline.svg and report.html into `dir`.
void write_reports(const ProfileRun& run, const std::filesystem::path& dir);

/// Chrome trace event format: a process per node, a thread per rank, task slices, message flows,
/// the driver's queue depth. Past `max_events` slices, neighbouring slices of one function on a
/// rank are merged (named "name ×N"), and a metadata entry says so.
void write_trace_json(const ProfileRun& run, std::ostream& out, std::size_t max_events = 1'000'000);
/// One row per task record, like GNU parallel's --joblog.
void write_tasks_csv(const ProfileRun& run, std::ostream& out);
/// Per rank time split, load balance, per-function statistics, slowest tasks, sacct command.
void write_summary(const ProfileRun& run, const RunSummary& summary, std::ostream& out);
/// A Gantt chart, one lane per rank, `width` pixels wide; self-contained SVG.
std::string render_timeline_svg(const ProfileRun& run, const RunSummary& summary, int width = 1200);
/// One self-contained page: the summary tables, the timeline and per-function histograms.
void write_report_html(const ProfileRun& run, const RunSummary& summary, std::ostream& out);
/// Several runs side by side: wall time, tasks, utilisation, balance, and per-function totals.
void write_comparison(const std::vector<ProfileRun>& runs, std::ostream& out);

/// A colour per function: distinct colours from a qualitative palette for the first functions
/// by name (so runs of the same program get the same colours), hues from the name's hash beyond.
std::string function_colour(const ProfileRun& run, const std::string& name);

/// A time span for people: "850 ns", "12.3 µs", "4.56 ms", "7.89 s".
std::string human_duration(double seconds);
/// `text` with &, <, >, " and ' escaped, for SVG and HTML alike.
std::string markup_escape(const std::string& text);
/// The sacct command that cross-checks the run's Slurm job (job.step), or for `job_id` when given;
/// empty outside Slurm.
std::string sacct_command(const RunSummary& summary, const std::string& job_id = "");

/// A byte count for people: "512 B", "3.4 KiB", ...
std::string human_bytes(double bytes);

}  // namespace multirank::detail
