// The test mains run Catch2 through this: its implementation (and Catch::Session, which Catch2 v2
// declares only beside it) is compiled once, in catch2_session.cpp.
#pragma once

namespace multirank::testing {
/// Catch2's Session().run(argc, argv): the number of failed assertions, as the exit status.
int run_catch2(int argc, char** argv);
}  // namespace multirank::testing
