// Refused: a non-static member function given to MULTIRANK_TASK. It needs an object, which
// cannot cross ranks.
#include "multirank/multirank.hpp"

struct Solver {
  int step(int state) { return state + offset; }
  int offset = 1;
};
MULTIRANK_TASK(Solver::step);

int main() {}
