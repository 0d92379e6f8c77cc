// RuntimeOptions read from MULTIRANK_* variables, and the fast-path wire codec, without MPI ranks.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "core/backoff.hpp"
#include "multirank/detail/codec.hpp"
#include "multirank/error.hpp"
#include "multirank/options.hpp"

namespace {
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    setenv(name.c_str(), value, 1);
  }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};
}  // namespace

TEST_CASE("settings come from MULTIRANK_* variables", "[settings]") {
  SECTION("defaults") {
    auto options = multirank::RuntimeOptions::from_env();
    CHECK(options.spin_window == std::chrono::microseconds(1000));
    CHECK(options.driver_works == multirank::DriverWorks::automatic);
  }
  SECTION("values are read") {
    ScopedEnv spin("MULTIRANK_SPIN_US", "250");
    ScopedEnv works("MULTIRANK_DRIVER_WORKS", "0");
    ScopedEnv message("MULTIRANK_MAX_MESSAGE_BYTES", "4096");
    auto options = multirank::RuntimeOptions::from_env();
    CHECK(options.spin_window == std::chrono::microseconds(250));
    CHECK(options.driver_works == multirank::DriverWorks::never);
    CHECK(options.max_message_bytes == 4096);
  }
  SECTION("a malformed value names the variable and the value") {
    ScopedEnv bad("MULTIRANK_MAX_NAP_US", "soon");
    CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                      Catch::Contains("MULTIRANK_MAX_NAP_US='soon'"));
  }
  SECTION("an unknown choice is refused") {
    ScopedEnv bad("MULTIRANK_DRIVER_WORKS", "maybe");
    CHECK_THROWS_AS(multirank::RuntimeOptions::from_env(), multirank::ConfigError);
  }
  SECTION("interruption grace and task_timeout: 5 s and none by default, in seconds") {
    auto defaults = multirank::RuntimeOptions::from_env();
    CHECK(defaults.grace == std::chrono::seconds(5));
    CHECK(defaults.task_timeout == std::chrono::seconds(0));
    ScopedEnv grace("MULTIRANK_GRACE_S", "12");
    ScopedEnv timeout("MULTIRANK_TASK_TIMEOUT_S", "30");
    auto options = multirank::RuntimeOptions::from_env();
    CHECK(options.grace == std::chrono::seconds(12));
    CHECK(options.task_timeout == std::chrono::seconds(30));
  }
  SECTION("the dispatch tree: off by default, on or off, pseudo-nodes of at least 2 ranks") {
    auto defaults = multirank::RuntimeOptions::from_env();
    CHECK_FALSE(defaults.dispatch_tree);
    CHECK(defaults.tree_node_ranks == 0);
    ScopedEnv tree("MULTIRANK_DISPATCH_TREE", "on");
    ScopedEnv node_ranks("MULTIRANK_TREE_NODE_RANKS", "8");
    auto options = multirank::RuntimeOptions::from_env();
    CHECK(options.dispatch_tree);
    CHECK(options.tree_node_ranks == 8);
  }
  SECTION("a dispatch tree setting that cannot be used is refused, naming the variable") {
    {
      ScopedEnv bad("MULTIRANK_DISPATCH_TREE", "yes");
      CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                        Catch::Contains("MULTIRANK_DISPATCH_TREE='yes' must be on or off"));
    }
    ScopedEnv one("MULTIRANK_TREE_NODE_RANKS", "1");
    CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                      Catch::Contains("MULTIRANK_TREE_NODE_RANKS='1'"));
    multirank::RuntimeOptions options;
    options.tree_node_ranks = 1;
    CHECK_THROWS_WITH(options.validate(), Catch::Contains("tree_node_ranks = 1"));
  }
  SECTION("a negative task_timeout is refused, naming the variable") {
    ScopedEnv bad("MULTIRANK_TASK_TIMEOUT_S", "-1");
    CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                      Catch::Contains("MULTIRANK_TASK_TIMEOUT_S='-1'"));
  }
}

TEST_CASE("spinning threads yield where a node's busy threads outnumber its cores", "[settings]") {
  using multirank::detail::spinning_should_yield;
  SECTION("automatic unless MULTIRANK_SPIN_YIELD says otherwise") {
    CHECK_FALSE(multirank::RuntimeOptions::from_env().spin_yield.has_value());
    {
      ScopedEnv on("MULTIRANK_SPIN_YIELD", "1");
      CHECK(multirank::RuntimeOptions::from_env().spin_yield == true);
    }
    {
      ScopedEnv off("MULTIRANK_SPIN_YIELD", "0");
      CHECK(multirank::RuntimeOptions::from_env().spin_yield == false);
    }
    {
      ScopedEnv automatic("MULTIRANK_SPIN_YIELD", "auto");
      CHECK_FALSE(multirank::RuntimeOptions::from_env().spin_yield.has_value());
    }
    ScopedEnv bad("MULTIRANK_SPIN_YIELD", "sometimes");
    CHECK_THROWS_WITH(multirank::RuntimeOptions::from_env(),
                      Catch::Contains("MULTIRANK_SPIN_YIELD='sometimes'"));
  }
  SECTION("the automatic choice counts the driver's worker thread on its node") {
    CHECK(spinning_should_yield(2, true, 2));  // np 2 on 2 cores, the driver working too
    CHECK_FALSE(spinning_should_yield(2, false, 2));
    CHECK(spinning_should_yield(3, false, 2));  // the mpi4py.futures layout on 2 cores
    CHECK_FALSE(spinning_should_yield(8, true, 16));
    CHECK(spinning_should_yield(2, false, 0));  // core count unknown: taken as one
    CHECK_FALSE(spinning_should_yield(1, false, 0));
  }
}

TEST_CASE("Open MPI's waits yield only where ranks crowd the cores", "[settings]") {
  using multirank::detail::mpi_should_yield_when_idle;
  SECTION("a few ranks more than cores keep multirank's non-yielding probes") {
    CHECK_FALSE(mpi_should_yield_when_idle(3, 2));
    CHECK_FALSE(mpi_should_yield_when_idle(4, 2));
    CHECK_FALSE(mpi_should_yield_when_idle(16, 16));
  }
  SECTION("many ranks per core yield, so that start-up and close collectives progress") {
    CHECK(mpi_should_yield_when_idle(5, 2));
    CHECK(mpi_should_yield_when_idle(128, 2));
    CHECK(mpi_should_yield_when_idle(3, 0));  // core count unknown: taken as one
  }
  SECTION("an unknown rank count keeps multirank's choice") {
    CHECK_FALSE(mpi_should_yield_when_idle(0, 2));
  }
}

TEST_CASE("MULTIRANK_SPIN_YIELD's 1 or 0 decides for Open MPI's waits too", "[settings]") {
  using multirank::detail::mpi_yield_when_idle;
  SECTION("set: it wins over the node's rank count (namespace hosts share one machine's cores)") {
    CHECK(mpi_yield_when_idle(true, 4, 2) == std::optional<bool>(true));
    CHECK(mpi_yield_when_idle(false, 128, 2) == std::optional<bool>(false));
  }
  SECTION("auto: off for a few ranks per core, Open MPI's own choice for many") {
    CHECK(mpi_yield_when_idle(std::nullopt, 4, 2) == std::optional<bool>(false));
    CHECK_FALSE(mpi_yield_when_idle(std::nullopt, 128, 2).has_value());
  }
}

TEST_CASE("the codec round-trips plain data and refuses corrupted bytes", "[codec]") {
  using multirank::detail::decode_all;
  using multirank::detail::encode_to_bytes;
  SECTION("plain values") {
    std::tuple<int, double, std::string, std::vector<std::int64_t>, std::optional<bool>> value{
        -3, 2.5, "text", {1, 2, 3}, true};
    CHECK(decode_all<decltype(value)>(encode_to_bytes(value)) == value);
  }
  SECTION("truncated bytes are a DecodeError") {
    auto bytes = encode_to_bytes(std::string("hello world"));
    bytes.resize(bytes.size() - 3);
    CHECK_THROWS_AS(decode_all<std::string>(bytes), multirank::DecodeError);
  }
  SECTION("a corrupted length does not allocate without bound") {
    auto bytes = encode_to_bytes(std::vector<double>{1, 2});
    bytes[6] = 0x7f;  // the count's high bytes
    CHECK_THROWS_AS(decode_all<std::vector<double>>(bytes), multirank::DecodeError);
  }
  SECTION("bytes left over mean another type was sent") {
    auto bytes = encode_to_bytes(std::int64_t{5});
    CHECK_THROWS_AS(decode_all<std::int32_t>(bytes), multirank::DecodeError);
  }
}
