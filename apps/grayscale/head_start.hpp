// The driver's head start: while MPI starts (mpirun, MPI_Init and the first exchange, most of it
// waiting), rank 0 already converts the first images of the list on a thread
// of its own. When the Runtime is up the rest goes to every rank from where the head start left
// off. The thread runs under SCHED_IDLE: MPI's start-up on this rank and the others, which keeps
// waking for short exchanges, gets a core the moment it asks instead of after the converting
// thread's time slice, so MPI starts sooner and the whole run ends sooner (nice 19 did not do
// that). Once the Runtime is up the thread gets the normal policy back where the
// process may raise it (root or CAP_SYS_NICE); elsewhere the image in hand finishes at idle
// priority, which in Linux is a small share, not none.
#pragma once

#include <sys/types.h>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "conversion_task.hpp"

namespace grayscale {

class HeadStart {
 public:
  /// Starts converting request_for(0), request_for(1), ... up to `count`, in that order, with the
  /// same task body the ranks run (convert_image), so outputs are byte-identical.
  HeadStart(std::size_t count, std::function<ConversionRequest(std::size_t)> request_for);
  /// Stops and waits for the image in hand.
  ~HeadStart();
  HeadStart(const HeadStart&) = delete;
  HeadStart& operator=(const HeadStart&) = delete;

  /// Claims no further image; returns how many it claimed (indices 0 to n-1). The image in hand
  /// is still finished.
  std::size_t stop();
  /// After stop(): waits for the image in hand and hands over the outcomes of every claimed image.
  std::vector<ConversionOutcome> finish();

 private:
  void convert_all();

  std::size_t count_;
  std::function<ConversionRequest(std::size_t)> request_for_;
  std::mutex mutex_;
  std::size_t claimed_ = 0;
  bool stopping_ = false;
  std::vector<ConversionOutcome> outcomes_;
  pid_t thread_id_ = 0;  // the converting thread's, for its scheduling policy; under mutex_
  std::thread thread_;
};

}  // namespace grayscale
