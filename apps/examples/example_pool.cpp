// Article 2.3: Pool(5).map(f, [1, 2, 3, 4, 5]) prints [1, 4, 9, 16, 25].
#include <iostream>
#include <vector>

#include "multirank/multirank.hpp"

int f(int x) { return x * x; }
MULTIRANK_TASK(f);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Pool pool(5);
  const std::vector<int> results = pool.map(f, std::vector{1, 2, 3, 4, 5});
  std::cout << "[";
  for (std::size_t i = 0; i < results.size(); ++i) std::cout << (i ? ", " : "") << results[i];
  std::cout << "]\n";
}
