// Refused: a std::map result without <boost/serialization/map.hpp>, the header that teaches
// Boost.Serialization the map (valid_task_forms.cpp includes it and passes one).
#include <map>
#include <string>

#include "multirank/multirank.hpp"

std::map<std::string, int> word_counts(std::string text) { return {{text, 1}}; }
MULTIRANK_TASK(word_counts);

int main() {}
