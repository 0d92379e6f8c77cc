// The driver's account of how it ended, and the SIGTERM that makes mpirun --enable-recovery fail
// a failed job. Everything a signal handler reaches is async-signal-safe: no allocation, no
// stdio, only open/write/close/kill on what start-up prepared.
#include "core/exit_status.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace multirank::detail {

namespace {

// Set once at the driver's start-up, read by handlers.
char account_path[4096] = "";
char account_host[256] = "";
std::atomic<bool> watching{false};
// The status of the last end recorded: exit() after the runtime recorded why it exits (an
// interrupt) keeps that account.
std::atomic<int> recorded_status{-1};
// mpirun's pid where a failed driver must make it fail (see launcher_to_fail()), or 0.
std::atomic<pid_t> launcher_pid{0};

/// Signals that end a process by default and that a handler can see. SIGKILL and SIGSTOP cannot
/// be caught; SIGINT and SIGTERM are the runtime's own (interruption.hpp).
constexpr std::array<int, 18> fatal_signals = {
    SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGABRT, SIGSYS,  SIGTRAP,   SIGQUIT, SIGHUP,
    SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGPWR};
struct sigaction previous_actions[NSIG];

/// Appends `text` to `buffer` at `used`, within `size`.
void append(char* buffer, std::size_t size, std::size_t& used, const char* text) noexcept {
  while (*text != '\0' && used + 1 < size) buffer[used++] = *text++;
  buffer[used] = '\0';
}

void append_number(char* buffer, std::size_t size, std::size_t& used, long value) noexcept {
  char digits[24];
  int count = 0;
  const bool negative = value < 0;
  unsigned long magnitude =
      negative ? 0UL - static_cast<unsigned long>(value) : static_cast<unsigned long>(value);
  do {
    digits[count++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0 && count < 23);
  if (negative) append(buffer, size, used, "-");
  char text[24];
  for (int i = 0; i < count; ++i) text[i] = digits[count - 1 - i];
  text[count] = '\0';
  append(buffer, size, used, text);
}

void write_account(const char* state, int status, int signal) noexcept {
  char line[512];
  std::size_t used = 0;
  line[0] = '\0';
  append(line, sizeof line, used, "state=");
  append(line, sizeof line, used, state);
  if (status >= 0) {
    append(line, sizeof line, used, " status=");
    append_number(line, sizeof line, used, status);
  }
  if (signal > 0) {
    append(line, sizeof line, used, " signal=");
    append_number(line, sizeof line, used, signal);
  }
  append(line, sizeof line, used, " pid=");
  append_number(line, sizeof line, used, static_cast<long>(::getpid()));
  append(line, sizeof line, used, " host=");
  append(line, sizeof line, used, account_host);
  append(line, sizeof line, used, "\n");
  const int fd = ::open(account_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const char* next = line;
  std::size_t left = used;
  while (left > 0) {
    const ssize_t written = ::write(fd, next, left);
    if (written <= 0) break;
    next += written;
    left -= static_cast<std::size_t>(written);
  }
  ::close(fd);
}

bool truthy(const char* value) {
  return value != nullptr && (std::strcmp(value, "1") == 0 || std::strcmp(value, "true") == 0 ||
                              std::strcmp(value, "yes") == 0);
}

/// mpirun, where this rank's parent is mpirun itself (its local daemon is the launcher), the job
/// runs under --enable-recovery and no launcher reads the driver's account; else 0. mpirun
/// --enable-recovery exits 0 whatever its ranks do, but 1 when it gets SIGTERM: the one failure
/// a rank can still make it report.
pid_t launcher_to_fail() {
  if (std::getenv(exit_status_file_variable) != nullptr) return 0;
  if (!truthy(std::getenv("OMPI_MCA_orte_enable_recovery"))) return 0;
  const char* launcher = std::getenv("OMPI_MCA_orte_hnp_uri");
  const char* local_daemon = std::getenv("OMPI_MCA_orte_local_daemon_uri");
  if (launcher == nullptr || local_daemon == nullptr || std::strcmp(launcher, local_daemon) != 0)
    return 0;
  return ::getppid();
}

void fail_launcher() noexcept {
  const pid_t pid = launcher_pid.exchange(0);  // once
  if (pid > 0) ::kill(pid, SIGTERM);
}

const char* state_name(DriverEnd how) noexcept {
  switch (how) {
    case DriverEnd::exited:
      return "exited";
    case DriverEnd::signal:
      return "signal";
    case DriverEnd::interrupted:
      return "interrupted";
    case DriverEnd::aborted:
      return "aborted";
  }
  return "exited";
}

extern "C" void record_exit_of_process(int status, void* /*unused*/) {
  if (recorded_status.load() == (status & 0xff)) return;
  // Buffered output leaves before mpirun is told the job failed, which stops it reading.
  if (status != 0 && launcher_pid.load() > 0) std::fflush(nullptr);
  record_driver_end(DriverEnd::exited, status & 0xff);
}

extern "C" void record_fatal_signal(int signal, siginfo_t* info, void* /*context*/) {
  record_driver_end(DriverEnd::signal, 128 + signal, signal);
  // The disposition before ours (SIG_DFL, or Open MPI's backtrace printer) handles it next: a
  // fault raised by the kernel happens again when this returns, with its own details; a signal
  // sent by a process is sent again, and delivered once this handler returns.
  ::sigaction(signal, &previous_actions[signal], nullptr);
  if (info == nullptr || info->si_code <= 0) ::raise(signal);
}

void hook_fatal_signals() {
  // A stack overflow leaves no stack to run the handler on: the main thread gets its own.
  static char alternate_stack[64 * 1024];
  stack_t stack{};
  stack.ss_sp = alternate_stack;
  stack.ss_size = sizeof alternate_stack;
  ::sigaltstack(&stack, nullptr);
  for (const int signal : fatal_signals) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) != 0) continue;
    // A signal the program (or Open MPI) ignores stays ignored; a handler it set runs after ours.
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;
    struct sigaction action {};
    action.sa_sigaction = record_fatal_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    ::sigaction(signal, &action, &previous_actions[signal]);
  }
}

}  // namespace

void watch_driver_exit(const std::string& host) {
  std::snprintf(account_host, sizeof account_host, "%s", host.c_str());
  launcher_pid.store(launcher_to_fail());
  if (const char* path = std::getenv(exit_status_file_variable); path != nullptr && *path != '\0') {
    std::snprintf(account_path, sizeof account_path, "%s", path);
  }
  if (watching.exchange(true)) return;
  if (account_path[0] != '\0') write_account("running", -1, 0);
  ::on_exit(record_exit_of_process, nullptr);
  hook_fatal_signals();
}

void record_driver_end(DriverEnd how, int status, int signal) noexcept {
  if (!watching.load()) return;
  recorded_status.store(status);
  if (account_path[0] != '\0') write_account(state_name(how), status, signal);
  if (status != 0) fail_launcher();
}

void fail_launcher_for_lost_driver() noexcept {
  if (launcher_pid.load() == 0) launcher_pid.store(launcher_to_fail());
  fail_launcher();
}

}  // namespace multirank::detail
