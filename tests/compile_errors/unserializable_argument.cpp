// Refused: a task argument of a type with no serialize(), member or free.
#include "multirank/multirank.hpp"

struct Particle {
  double mass;
  double speed;
};

double energy(Particle particle) { return particle.mass * particle.speed * particle.speed / 2; }
MULTIRANK_TASK(energy);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor;
  return executor.submit(energy, Particle{1, 2}).result() > 0 ? 0 : 1;
}
