// One thread takes images from the front of the list under a mutex; stop() and the claim of the
// next image exclude each other, so every image is either claimed here or left to the ranks.
#include "head_start.hpp"

#include <sched.h>
#include <unistd.h>

#include "multirank/profile.hpp"

namespace grayscale {

HeadStart::HeadStart(std::size_t count, std::function<ConversionRequest(std::size_t)> request_for)
    : count_(count), request_for_(std::move(request_for)), thread_([this] { convert_all(); }) {}

HeadStart::~HeadStart() {
  stop();
  if (thread_.joinable()) thread_.join();
}

std::size_t HeadStart::stop() {
  std::lock_guard lock(mutex_);
  if (!stopping_ && thread_id_ != 0) {
    const sched_param normal{};
    ::sched_setscheduler(thread_id_, SCHED_OTHER, &normal);  // EPERM without the right: left idle
  }
  stopping_ = true;
  return claimed_;
}

std::vector<ConversionOutcome> HeadStart::finish() {
  stop();
  if (thread_.joinable()) thread_.join();
  return std::move(outcomes_);
}

void HeadStart::convert_all() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    const sched_param idle{};
    if (::sched_setscheduler(0, SCHED_IDLE, &idle) == 0) thread_id_ = ::gettid();
  }
  for (;;) {
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || claimed_ == count_) {
        thread_id_ = 0;  // stop() must not touch a thread that is gone
        return;
      }
      index = claimed_++;
    }
    // In the profile as a task of one image on rank 0's row, like the images the ranks convert.
    multirank::profile::Task task("convert_images");
    // Only this thread touches outcomes_ until finish() has joined it.
    outcomes_.push_back(convert_image(request_for_(index)));
  }
}

}  // namespace grayscale
