// Refused: a function object given to Pool::apply_async, whose parameter list names the task's
// result type, so the check must come before overload resolution gives up on it.
#include "multirank/multirank.hpp"

struct Doubler {
  int operator()(int x) const { return 2 * x; }
};

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Pool pool;
  return pool.apply_async(Doubler{}, std::tuple{21}).get() == 42 ? 0 : 1;
}
