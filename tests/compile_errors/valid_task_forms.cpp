// Must compile: every form of task the checks beside it accept, and the serialisable types they
// must never refuse. Without this file, a check that refused everything would pass its tests.
#include <boost/serialization/map.hpp>
#include <boost/serialization/split_member.hpp>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "multirank/multirank.hpp"

namespace physics {
double energy(double mass) { return mass * 299792458.0 * 299792458.0; }
}  // namespace physics
MULTIRANK_TASK(physics::energy);

int top_level(int x) { return x; }
MULTIRANK_TASK(::top_level);

struct Solver {
  static int step(int state) { return state + 1; }
};
MULTIRANK_TASK(Solver::step);

double scale(double x, int times) { return x * times; }
double scale(double x) { return x; }
MULTIRANK_TASK_OVERLOAD(scale, double(double, int));
MULTIRANK_TASK_OVERLOAD(scale, double(double));

template <class A, class B>
A add(A a, B b) {
  return a + static_cast<A>(b);
}
MULTIRANK_TASK(add<long, int>);

int never_throws(int x) noexcept { return x; }
MULTIRANK_TASK(never_throws);

// Every way Boost.Serialization finds a type's serialize(): a member, a private member reached
// through boost::serialization::access, split save/load members, a free function beside the
// type or in boost::serialization, one inherited, one in a final class, and the Boost header for
// a standard container.
struct Member {
  int value = 0;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& value;
  }
};
class Private {
 public:
  int value = 0;

 private:
  friend class boost::serialization::access;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& value;
  }
};
struct Split {
  int value = 0;
  template <class Archive>
  void save(Archive& archive, unsigned) const {
    archive << value;
  }
  template <class Archive>
  void load(Archive& archive, unsigned) {
    archive >> value;
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};
namespace shapes {
struct Free {
  int value = 0;
};
template <class Archive>
void serialize(Archive& archive, Free& free, const unsigned) {
  archive& free.value;
}
}  // namespace shapes
namespace geometry {
struct Point {
  int x = 0;
};
}  // namespace geometry
namespace boost::serialization {
template <class Archive>
void serialize(Archive& archive, geometry::Point& point, const unsigned) {
  archive& point.x;
}
}  // namespace boost::serialization
struct Inherited : Member {};
struct Sealed final {
  int value = 0;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& value;
  }
};
enum class Colour { red, green };

int all_kinds(Member a, const Private& b, Split c, shapes::Free d, geometry::Point e, Inherited f,
              Sealed g, Colour h, std::map<std::string, int> i, std::wstring j) {
  return a.value + b.value + c.value + d.value + e.x + f.value + g.value + static_cast<int>(h) +
         static_cast<int>(i.size() + j.size());
}
MULTIRANK_TASK(all_kinds);

std::tuple<std::vector<Member>, std::map<int, double>> containers(int n) {
  return {std::vector<Member>(static_cast<std::size_t>(n)), {}};
}
MULTIRANK_TASK(containers);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor;
  auto by_ref = executor.submit(multirank::TaskRef<double(double, int)>::of(scale), 1.5, 2);
  auto by_cast = executor.submit(static_cast<double (*)(double)>(scale), 1.5);
  auto qualified = executor.submit(physics::energy, 1.0);
  auto member = executor.submit(Solver::step, 1);
  auto kinds = executor.submit(all_kinds, Member{}, Private{}, Split{}, shapes::Free{},
                               geometry::Point{}, Inherited{}, Sealed{}, Colour::green,
                               std::map<std::string, int>{}, std::wstring(L"w"));
  multirank::Pool pool;
  auto steps = pool.map(Solver::step, std::vector{1, 2, 3});
  multirank::Process process(never_throws, 3);
  return by_ref.result() + by_cast.result() + qualified.result() + member.result() +
                     kinds.result() + static_cast<double>(steps.size()) >
                 0
             ? 0
             : 1;
}
