// Tasks declared the ways users declare functions: qualified names, static member functions and
// overloads, each registered under the name a reader would look for and run on every rank count.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "multirank/multirank.hpp"

namespace physics {
double energy(double mass) { return mass * 9.0; }
}  // namespace physics
MULTIRANK_TASK(physics::energy);

int top_level(int x) { return x - 1; }
MULTIRANK_TASK(::top_level);

struct Solver {
  static int step(int state) { return state + 1; }
};
MULTIRANK_TASK(Solver::step);

double scale(double x, int times) { return x * times; }
double scale(double x) { return x * 10; }
MULTIRANK_TASK_OVERLOAD(scale, double(double, int));
MULTIRANK_TASK_OVERLOAD(scale, double(double));

namespace {
int square(int x) { return x * x; }
MULTIRANK_TASK(square);
}  // namespace

using multirank::TaskRef;

TEST_CASE("a task is registered under its name as written", "[task]") {
  multirank::Executor executor;
  SECTION("a qualified name") {
    CHECK(TaskRef<double(double)>::of(physics::energy).name() == "physics::energy");
    CHECK(executor.submit(physics::energy, 2.0).result() == 18.0);
    CHECK(executor.submit(TaskRef<double(double)>::named("physics::energy"), 3.0).result() == 27.0);
  }
  SECTION("a name qualified from the global namespace") {
    CHECK(TaskRef<int(int)>::of(top_level).name() == "::top_level");
    CHECK(executor.submit(::top_level, 5).result() == 4);
  }
  SECTION("a static member function") {
    CHECK(TaskRef<int(int)>::of(Solver::step).name() == "Solver::step");
    CHECK(executor.submit(Solver::step, 1).result() == 2);
    multirank::Pool pool;
    CHECK(pool.map(Solver::step, std::vector{1, 2, 3, 4, 5, 6}) == std::vector{2, 3, 4, 5, 6, 7});
  }
  SECTION("a plain name keeps the name it always had") {
    CHECK(TaskRef<int(int)>::of(square).name() == "square");
    CHECK(executor.submit(TaskRef<int(int)>::named("square"), 4).result() == 16);
  }
}

TEST_CASE("each registered overload is its own task", "[task]") {
  multirank::Executor executor;
  using ScaleTimes = double(double, int);
  using ScaleByTen = double(double);
  SECTION("named by the function and its parameter list as written") {
    CHECK(TaskRef<ScaleTimes>::of(scale).name() == "scale(double, int)");
    CHECK(TaskRef<ScaleByTen>::of(scale).name() == "scale(double)");
  }
  SECTION("submitted through TaskRef::of, which picks the overload") {
    CHECK(executor.submit(TaskRef<ScaleTimes>::of(scale), 1.5, 4).result() == 6.0);
    CHECK(executor.submit(TaskRef<ScaleByTen>::of(scale), 1.5).result() == 15.0);
  }
  SECTION("submitted through a cast to its function pointer type") {
    CHECK(executor.submit(static_cast<double (*)(double, int)>(scale), 2.0, 3).result() == 6.0);
  }
  SECTION("found by its registered name") {
    CHECK(executor.submit(TaskRef<ScaleTimes>::named("scale(double, int)"), 0.5, 2).result() ==
          1.0);
  }
  SECTION("mapped over inputs") {
    multirank::Pool pool;
    CHECK(pool.map(TaskRef<ScaleByTen>::of(scale), std::vector{1.0, 2.0}) ==
          std::vector{10.0, 20.0});
  }
}

TEST_CASE("an overload's name takes the parameter list that ends its signature", "[task]") {
  using multirank::detail::overload_task_name;
  SECTION("plain parameters") {
    CHECK(overload_task_name("f", "void(int, long)") == "f(int, long)");
  }
  SECTION("no parameters") { CHECK(overload_task_name("f", "int()") == "f()"); }
  SECTION("parentheses inside a parameter's type") {
    CHECK(overload_task_name("f", "std::function<int(int)>(std::function<int(int)>)") ==
          "f(std::function<int(int)>)");
  }
  SECTION("noexcept is not part of the name") {
    CHECK(overload_task_name("f", "int(int) noexcept") == "f(int)");
  }
}
