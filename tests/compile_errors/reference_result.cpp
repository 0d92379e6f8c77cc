// Refused: a task returning a reference. Its caller is on another rank.
#include <vector>

#include "multirank/multirank.hpp"

std::vector<int> table(16);
int& entry(int index) { return table[static_cast<std::size_t>(index)]; }
MULTIRANK_TASK(entry);

int main() {}
