// Refused: a task returning a pointer. The address means nothing on the rank that asked.
#include "multirank/multirank.hpp"

const char* label_of(int code) { return code == 0 ? "ok" : "failed"; }
MULTIRANK_TASK(label_of);

int main() {}
