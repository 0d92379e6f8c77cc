// Refused: a task taking a reference to a pointer. The address means nothing on another rank.
#include "multirank/multirank.hpp"

void advance(double*& cursor) { ++cursor; }
MULTIRANK_TASK(advance);

int main() {}
