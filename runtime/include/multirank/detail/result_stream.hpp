// The lazy, bounded stream behind Executor::map and Pool::imap/imap_unordered/map: it pulls
// chunks from the input only while fewer than `max_in_flight` are unconsumed (and, with a byte
// budget, while their encoded arguments take less than `max_bytes_in_flight`), so a huge (or
// endless) input never fills memory, and yields item results in input or completion order.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <unordered_map>
#include <utility>

#include "multirank/detail/driver_engine.hpp"
#include "multirank/detail/submission.hpp"
#include "multirank/error.hpp"
#include "multirank/map_options.hpp"
#include "multirank/progress.hpp"

namespace multirank::detail {

enum class StreamOrder { input, completion };

struct StreamSettings {
  std::uint32_t chunksize = 1;
  std::size_t max_in_flight = 0;        // chunks
  std::size_t max_bytes_in_flight = 0;  // encoded arguments of those chunks; 0: no limit
  Deadline deadline;
  std::shared_ptr<ProgressObserver> progress;
  std::optional<std::size_t> total_items;
};

template <class R>
class ResultStream {
 public:
  using Stored = typename ResultState<R>::Stored;
  /// Encodes up to `max_items` input elements as items; returns how many (0: input exhausted).
  using Pull = std::function<std::uint32_t(ByteWriter&, std::uint32_t max_items)>;

  ResultStream(DriverEngine& engine, std::shared_ptr<SubmissionQueue> queue, const TaskEntry& entry,
               Pull pull, StreamOrder order, StreamSettings settings)
      : engine_(engine),
        queue_(std::move(queue)),
        entry_(entry),
        pull_(std::move(pull)),
        order_(order),
        settings_(std::move(settings)),
        ready_(std::make_shared<Ready>()) {
    if (settings_.max_in_flight == 0) {
      const std::size_t by_items = (8192 + settings_.chunksize - 1) / settings_.chunksize;
      settings_.max_in_flight =
          std::max<std::size_t>(4 * static_cast<std::size_t>(engine.worker_slots()), by_items);
    }
    if (settings_.progress) settings_.progress->on_start(settings_.total_items);
    top_up();
  }
  ResultStream(const ResultStream&) = delete;
  ResultStream& operator=(const ResultStream&) = delete;

  /// The next result, or nothing at the end. Rethrows an item's error at its place; TimeoutError
  /// when the deadline passes first.
  std::optional<Stored> next() {
    if (!current_ || index_ == current_->size()) {
      current_.reset();
      index_ = 0;
      top_up();
      current_ = order_ == StreamOrder::input ? next_in_order() : next_completed();
      if (!current_) {
        if (settings_.progress && !finished_) settings_.progress->on_finish();
        finished_ = true;
        return std::nullopt;
      }
    }
    const std::size_t index = index_++;
    return std::move(current_->value(index));
  }

 private:
  struct Ready {
    std::mutex mutex;
    std::deque<std::shared_ptr<ResultState<R>>> states;
  };

  /// Whether the byte budget lets one more chunk go. Every worker slot keeps a chunk running and
  /// one queued whatever the budget, so a budget smaller than a few arguments costs no speed.
  bool bytes_allow_another() const {
    if (settings_.max_bytes_in_flight == 0) return true;
    return in_flight_bytes_ < settings_.max_bytes_in_flight ||
           in_flight_ < 2 * static_cast<std::size_t>(engine_.worker_slots());
  }

  void top_up() {
    while (!exhausted_ && in_flight_ < settings_.max_in_flight && bytes_allow_another()) {
      std::vector<char> items;
      // Sized like the last chunk: a chunk of a million items is encoded without regrowing.
      items.reserve(last_chunk_bytes_ + last_chunk_bytes_ / 8);
      ByteWriter out(items);
      const std::uint32_t count = pull_(out, settings_.chunksize);
      if (count == 0) {
        exhausted_ = true;
        break;
      }
      last_chunk_bytes_ = items.size();
      TaskRecord record = make_record<R>(engine_, entry_, queue_, std::move(items), count);
      auto state = std::static_pointer_cast<ResultState<R>>(record.state);
      if (settings_.max_bytes_in_flight != 0) {
        chunk_bytes_.emplace(state.get(), last_chunk_bytes_);
        in_flight_bytes_ += last_chunk_bytes_;
      }
      watch(state);
      engine_.submit(std::move(record));
      ++in_flight_;
    }
  }

  void watch(const std::shared_ptr<ResultState<R>>& state) {
    if (order_ == StreamOrder::input) in_order_.push_back(state);
    auto progress = settings_.progress;
    if (!progress && order_ == StreamOrder::input) return;
    auto ready = order_ == StreamOrder::completion ? ready_ : nullptr;
    std::weak_ptr<ResultState<R>> weak = state;
    state->on_done([progress, ready, weak] {
      auto s = weak.lock();
      if (!s) return;
      if (progress) progress->on_progress(s->size());
      if (ready) {
        std::lock_guard lock(ready->mutex);
        ready->states.push_back(std::move(s));
      }
    });
  }

  void wait_for(const std::function<bool()>& ready) {
    if (!engine_.wait_until(ready, settings_.deadline)) {
      throw TimeoutError("map results were not ready within the timeout");
    }
  }

  std::shared_ptr<ResultState<R>> next_in_order() {
    if (in_order_.empty()) return nullptr;
    auto state = std::move(in_order_.front());
    in_order_.pop_front();
    wait_for([&state] { return state->done(); });
    taken(*state);
    return state;
  }

  std::shared_ptr<ResultState<R>> next_completed() {
    if (in_flight_ == 0) return nullptr;
    auto take = [this]() -> std::shared_ptr<ResultState<R>> {
      std::lock_guard lock(ready_->mutex);
      if (ready_->states.empty()) return nullptr;
      auto state = std::move(ready_->states.front());
      ready_->states.pop_front();
      return state;
    };
    auto state = take();
    if (!state) {
      wait_for([this] {
        std::lock_guard lock(ready_->mutex);
        return !ready_->states.empty();
      });
      state = take();
    }
    taken(*state);
    return state;
  }

  /// A chunk's results are handed to the caller: it no longer counts as in flight.
  void taken(const ResultState<R>& state) {
    --in_flight_;
    if (settings_.max_bytes_in_flight == 0) return;
    const auto it = chunk_bytes_.find(&state);
    in_flight_bytes_ -= it->second;
    chunk_bytes_.erase(it);
  }

  DriverEngine& engine_;
  std::shared_ptr<SubmissionQueue> queue_;
  const TaskEntry& entry_;
  Pull pull_;
  StreamOrder order_;
  StreamSettings settings_;
  std::shared_ptr<Ready> ready_;
  std::deque<std::shared_ptr<ResultState<R>>> in_order_;
  std::shared_ptr<ResultState<R>> current_;
  std::size_t index_ = 0;
  std::size_t in_flight_ = 0;        // chunks submitted and not yet taken
  std::size_t in_flight_bytes_ = 0;  // their encoded arguments, counted with a byte budget only
  std::unordered_map<const ResultState<R>*, std::size_t> chunk_bytes_;  // the same, per chunk
  std::size_t last_chunk_bytes_ = 0;
  bool exhausted_ = false;
  bool finished_ = false;
};

/// A Pull over any input range, held by value (an lvalue range is referred to, not copied).
template <bool Star, class... P, class Range>
auto pull_from(Range&& range) {
  auto view = std::views::all(std::forward<Range>(range));
  using View = decltype(view);
  struct Cursor {
    View view;
    std::ranges::iterator_t<View> it;
  };
  auto cursor = std::make_shared<Cursor>(Cursor{std::move(view), {}});
  cursor->it = std::ranges::begin(cursor->view);
  return [cursor](ByteWriter& out, std::uint32_t max_items) -> std::uint32_t {
    std::uint32_t count = 0;
    while (count < max_items && cursor->it != std::ranges::end(cursor->view)) {
      append_element<Star, P...>(out, *cursor->it);
      ++cursor->it;
      ++count;
    }
    return count;
  };
}

template <class Range>
std::optional<std::size_t> size_if_known(const Range& range) {
  if constexpr (std::ranges::sized_range<const Range>) {
    return static_cast<std::size_t>(std::ranges::size(range));
  } else {
    return std::nullopt;
  }
}

}  // namespace multirank::detail

namespace multirank {

/// The results of a map, iterated once with range-for; results are produced while you iterate
/// (and a bounded number ahead of you). An item's error is rethrown when iteration reaches it.
template <class R>
class MapResults {
 public:
  using Stored = typename detail::ResultStream<R>::Stored;

  explicit MapResults(std::unique_ptr<detail::ResultStream<R>> stream)
      : stream_(std::move(stream)) {}

  class iterator {
   public:
    using value_type = Stored;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(detail::ResultStream<R>* stream) : stream_(stream) { advance(); }
    Stored& operator*() const { return *current_; }
    Stored* operator->() const { return &*current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& a, std::default_sentinel_t) {
      return a.stream_ == nullptr;
    }

   private:
    void advance() {
      current_ = stream_->next();
      if (!current_) stream_ = nullptr;
    }
    detail::ResultStream<R>* stream_ = nullptr;
    mutable std::optional<Stored> current_;
  };

  iterator begin() { return iterator(stream_.get()); }
  std::default_sentinel_t end() { return {}; }

  /// Every remaining result, in a vector.
  std::vector<Stored> to_vector() {
    std::vector<Stored> values;
    while (auto value = stream_->next()) values.push_back(std::move(*value));
    return values;
  }

 private:
  std::unique_ptr<detail::ResultStream<R>> stream_;
};

}  // namespace multirank

namespace multirank::detail {

template <bool Star, class R, class... P, class Range>
auto make_pull(const TaskRef<R(P...)>&, Range&& inputs) {
  return pull_from<Star, P...>(std::forward<Range>(inputs));
}

/// Opens the stream of a map call: `task` over `inputs` in chunks of `chunksize` items.
template <bool Star, class Task, class Range>
auto open_map(DriverEngine& engine, const std::shared_ptr<SubmissionQueue>& queue, const Task& task,
              Range&& inputs, std::size_t chunksize, MapOptions options, StreamOrder order) {
  auto ref = as_task(task);
  using R = typename decltype(ref)::result_type;
  StreamSettings settings;
  settings.chunksize = static_cast<std::uint32_t>(chunksize);
  settings.max_in_flight = options.max_in_flight;
  settings.max_bytes_in_flight = options.max_bytes_in_flight;
  settings.deadline = options.timeout.deadline();
  settings.progress = std::move(options.progress);
  settings.total_items = size_if_known(inputs);
  auto pull = make_pull<Star>(ref, std::forward<Range>(inputs));
  return MapResults<R>(std::make_unique<ResultStream<R>>(
      engine, queue, ref.entry(), std::move(pull), order, std::move(settings)));
}

}  // namespace multirank::detail
