// What grayscale prints while it lists INPUT_DIR (listing_display.hpp), to a log (stderr not a
// terminal): nothing for a listing under a second, then the count so far, then how many were
// listed; nothing at all with the display off.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "listing_display.hpp"

namespace {
// Runs `body` with stderr going to a temporary file; returns what it printed.
template <class Body>
std::string stderr_of(Body body) {
  std::fflush(stderr);
  char path[] = "/tmp/listing-display-XXXXXX";
  const int file = ::mkstemp(path);
  REQUIRE(file >= 0);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(file, STDERR_FILENO);
  body();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  ::close(file);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(path);
  return text.str();
}

using grayscale::ListingDisplay;
using namespace std::chrono_literals;
}  // namespace

TEST_CASE("listing display", "[grayscale][progress]") {
  SECTION("a listing under a second prints nothing") {
    const auto printed = stderr_of([] {
      ListingDisplay display("in", 5s, true);
      display.found(256);
      display.found(512);
      display.finish(600);
    });
    CHECK(printed.empty());
  }

  SECTION("a long listing says how many so far, then how many in all") {
    const auto printed = stderr_of([] {
      ListingDisplay display("photos", 5s, true);
      display.found(256);
      std::this_thread::sleep_for(1100ms);
      display.found(51200);
      display.found(51456);  // within the interval: no second line
      display.finish(60000);
    });
    CHECK_THAT(printed, Catch::Matches("grayscale: listing photos: 51200 images found so far "
                                       "\\(1 s\\)\ngrayscale: listed 60000 images under photos in "
                                       "1\\.\\d s\n"));
  }

  SECTION("off, it prints nothing however long the listing") {
    const auto printed = stderr_of([] {
      ListingDisplay display("photos", 5s, false);
      std::this_thread::sleep_for(1100ms);
      display.found(51200);
      display.finish(60000);
    });
    CHECK(printed.empty());
  }
}
