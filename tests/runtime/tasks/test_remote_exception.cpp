// Exceptions across ranks: a registered type comes back as itself, fields included, with where
// it ran nested; any other keeps its type's name and message in a RemoteError; both say at which
// stage of the task's life user code threw.
#include <catch2/catch.hpp>

#include <boost/serialization/base_object.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "multirank/multirank.hpp"

namespace {

/// A registered exception with fields of its own.
struct BadSample : multirank::Exception {
  int index = 0;
  std::vector<std::string> tags;
  BadSample() = default;
  BadSample(const std::string& what, int index, std::vector<std::string> tags)
      : Exception(what), index(index), tags(std::move(tags)) {}
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& boost::serialization::base_object<multirank::Exception>(*this) & index& tags;
  }
};

/// Registered, but its save() fails: it cannot be sent as itself.
struct Unsendable : multirank::Exception {
  using Exception::Exception;
  template <class Archive>
  void save(Archive&, unsigned) const {
    throw std::runtime_error("no way to save it");
  }
  template <class Archive>
  void load(Archive&, unsigned) {}
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

/// Derived from a registered type, not registered itself: only the exact type is matched.
struct WorseSample : BadSample {
  using BadSample::BadSample;
};

/// A user's own exception type, not registered.
struct PlainProblem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

MULTIRANK_EXCEPTION(BadSample);
MULTIRANK_EXCEPTION(Unsendable);

namespace {

int check_sample(int index) {
  if (index < 0)
    throw BadSample("sample " + std::to_string(index) + " is bad", index, {"negative", "raw"});
  return index;
}
MULTIRANK_TASK(check_sample);

int throw_kind(int kind) {
  if (kind == 1) throw Unsendable("unsendable");
  if (kind == 2) throw WorseSample("worse", 2, {});
  if (kind == 3) throw PlainProblem("plain problem");
  return kind;
}
MULTIRANK_TASK(throw_kind);

/// A value whose load() throws a registered exception: on the worker for arguments, on the driver
/// for results.
struct Touchy {
  bool fail_on_load = false;
  template <class Archive>
  void save(Archive& archive, unsigned) const {
    archive << fail_on_load;
  }
  template <class Archive>
  void load(Archive& archive, unsigned) {
    archive >> fail_on_load;
    if (fail_on_load) throw BadSample("touchy value", 7, {"load"});
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

int take_touchy(Touchy value) { return value.fail_on_load ? 1 : 0; }
MULTIRANK_TASK(take_touchy);

Touchy make_touchy() { return Touchy{true}; }
MULTIRANK_TASK(make_touchy);

/// Runs `call`, which must throw E, and hands what it threw to `inspect` while it is being handled
/// (a copy would lose what is nested in it).
template <class E, class Call, class Inspect>
void inspect_thrown(Call&& call, Inspect&& inspect) {
  try {
    call();
  } catch (const E& error) {
    inspect(error);
    return;
  }
  FAIL("nothing of the expected type was thrown");
}

}  // namespace

TEST_CASE("a registered exception type crosses ranks as itself", "[exceptions]") {
  multirank::Runtime& runtime = multirank::Runtime::current();
  multirank::Executor executor;

  SECTION("thrown by a task: caught as itself, fields included, with where it ran nested") {
    auto future = executor.submit(check_sample, -4);
    inspect_thrown<BadSample>(
        [&] { future.result(); },
        [&](const BadSample& error) {
          CHECK(std::string(error.what()) == "sample -4 is bad");
          CHECK(error.index == -4);
          CHECK(error.tags == std::vector<std::string>{"negative", "raw"});
          const auto origin = multirank::remote_origin(error);
          REQUIRE(origin.has_value());
          CHECK(origin->task_name() == "check_sample");
          CHECK_THAT(origin->type_name(), Catch::EndsWith("BadSample"));
          CHECK(origin->rank() >= 0);
          CHECK(origin->rank() < runtime.size());
          CHECK(origin->stage().empty());
          CHECK_THAT(origin->what(), Catch::Contains("on rank " + std::to_string(origin->rank())));
        });
  }
  SECTION("caught as multirank::Exception and std::runtime_error too") {
    auto future = executor.submit(check_sample, -1);
    CHECK_THROWS_AS(future.result(), multirank::Exception);
    CHECK_THROWS_AS(future.result(), std::runtime_error);
  }
  SECTION("thrown by the arguments' load() where the task runs") {
    auto future = executor.submit(take_touchy, Touchy{true});
    inspect_thrown<BadSample>([&] { future.result(); },
                              [](const BadSample& error) {
                                CHECK(error.index == 7);
                                const auto origin = multirank::remote_origin(error);
                                REQUIRE(origin.has_value());
                                CHECK(origin->stage() == "while decoding its arguments");
                              });
  }
  SECTION("thrown by the result's load() on the driver") {
    auto future = executor.submit(make_touchy);
    inspect_thrown<BadSample>(
        [&] { future.result(); },
        [](const BadSample& error) {
          CHECK(error.tags == std::vector<std::string>{"load"});
          const auto origin = multirank::remote_origin(error);
          REQUIRE(origin.has_value());
          CHECK(origin->stage() == "while its result was decoded on the driver");
        });
  }
  SECTION("through a Pool, its error_callback sees it as itself") {
    multirank::Pool pool;
    CHECK_THROWS_AS(pool.apply(check_sample, -2), BadSample);
    std::atomic<int> index{0};
    auto async =
        pool.apply_async(check_sample, std::tuple{-3}, nullptr, [&](const std::exception& e) {
          if (const auto* sample = dynamic_cast<const BadSample*>(&e)) index = sample->index;
        });
    async.wait();
    CHECK(index == -3);
  }
  SECTION("the executor works on after it") {
    auto failing = executor.submit(check_sample, -5);
    CHECK_THROWS_AS(failing.result(), BadSample);
    CHECK(executor.submit(check_sample, 5).result() == 5);
  }
}

TEST_CASE("other exceptions keep their type's name in a RemoteError", "[exceptions]") {
  multirank::Executor executor;
  SECTION("an unregistered type") {
    auto future = executor.submit(throw_kind, 3);
    inspect_thrown<multirank::RemoteError>(
        [&] { future.result(); },
        [](const auto& error) {
          CHECK_THAT(error.type_name(), Catch::EndsWith("::PlainProblem"));
          CHECK(error.message() == "plain problem");
          CHECK_FALSE(multirank::remote_origin(error).has_value());
        });
  }
  SECTION("a type derived from a registered one, not registered itself") {
    auto future = executor.submit(throw_kind, 2);
    inspect_thrown<multirank::RemoteError>(
        [&] { future.result(); },
        [](const auto& error) { CHECK_THAT(error.type_name(), Catch::EndsWith("::WorseSample")); });
  }
  SECTION("a registered type that cannot be saved says why") {
    auto future = executor.submit(throw_kind, 1);
    inspect_thrown<multirank::RemoteError>(
        [&] { future.result(); },
        [](const auto& error) {
          CHECK_THAT(error.type_name(), Catch::EndsWith("::Unsendable"));
          CHECK_THAT(error.message(), Catch::Contains("unsendable") &&
                                          Catch::Contains("could not be sent as itself") &&
                                          Catch::Contains("no way to save it"));
        });
  }
  SECTION("remote_origin of an exception that never crossed ranks is empty") {
    CHECK_FALSE(multirank::remote_origin(std::runtime_error("local")).has_value());
    CHECK_FALSE(multirank::remote_origin(BadSample("local", 1, {})).has_value());
  }
}
