// The task registry and the lookups submit() uses to turn a function into a task id.
#include "multirank/detail/registry.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "multirank/detail/type_name.hpp"
#include "multirank/error.hpp"
#include "multirank/task.hpp"

namespace multirank::detail {

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

const TaskEntry& Registry::add(TaskEntry entry) {
  if (sealed_) {
    throw TaskError("task '" + entry.name +
                    "' registered after the Runtime started: register tasks at namespace scope "
                    "(MULTIRANK_TASK) so every rank has them before start-up");
  }
  if (auto found = by_id_.find(entry.id); found != by_id_.end()) {
    const TaskEntry& existing = found->second;
    if (existing.name != entry.name) {
      throw TaskError("task names '" + existing.name + "' and '" + entry.name +
                      "' hash to the same id: rename one");
    }
    if (existing.function != entry.function || existing.signature != entry.signature) {
      throw TaskError("task '" + entry.name + "' is registered twice, as " + existing.signature +
                      " and as " + entry.signature + ": task names must be unique");
    }
    return existing;
  }
  const auto id = entry.id;
  by_function_[entry.function] = id;
  return by_id_.emplace(id, std::move(entry)).first->second;
}

const ExceptionEntry& Registry::add_exception(ExceptionEntry entry) {
  if (sealed_) {
    throw TaskError("exception type '" + entry.name +
                    "' registered after the Runtime started: register it at namespace scope "
                    "(MULTIRANK_EXCEPTION) so every rank has it before start-up");
  }
  if (auto found = exceptions_.find(entry.id); found != exceptions_.end()) {
    if (*found->second.type != *entry.type) {
      throw TaskError("exception name '" + entry.name +
                      "' is registered for two types: names must be unique");
    }
    return found->second;
  }
  if (exceptions_by_type_.contains(std::type_index(*entry.type))) {
    throw TaskError("exception type '" + entry.name + "' is registered twice, under two names");
  }
  const auto id = entry.id;
  exceptions_by_type_.emplace(std::type_index(*entry.type), id);
  return exceptions_.emplace(id, std::move(entry)).first->second;
}

const ExceptionEntry* Registry::find_exception(std::uint64_t id) const {
  auto found = exceptions_.find(id);
  return found == exceptions_.end() ? nullptr : &found->second;
}

const ExceptionEntry* Registry::find_exception(const std::type_info& type) const {
  auto found = exceptions_by_type_.find(std::type_index(type));
  return found == exceptions_by_type_.end() ? nullptr : find_exception(found->second);
}

const TaskEntry* Registry::find(std::uint64_t id) const {
  auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : &found->second;
}

const TaskEntry* Registry::find_by_name(const std::string& name) const { return find(fnv1a(name)); }

const TaskEntry* Registry::find_by_function(AnyFunction function) const {
  auto found = by_function_.find(function);
  return found == by_function_.end() ? nullptr : find(found->second);
}

std::vector<std::string> Registry::describe() const {
  std::vector<std::string> lines;
  lines.reserve(by_id_.size());
  for (const auto& [id, entry] : by_id_) lines.push_back(entry.name + ": " + entry.signature);
  for (const auto& [id, entry] : exceptions_) lines.push_back("exception " + entry.name);
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::uint64_t Registry::digest() const {
  std::uint64_t digest = fnv1a("multirank-registry");
  for (const auto& line : describe()) digest = (digest ^ fnv1a(line)) * 0x100000001b3ULL;
  return digest;
}

const TaskEntry& register_entry(TaskEntry entry) {
  return Registry::instance().add(std::move(entry));
}

const TaskEntry& entry_for_function(AnyFunction function, const char* signature) {
  const TaskEntry* entry = Registry::instance().find_by_function(function);
  if (entry == nullptr) {
    throw TaskError(std::string("a function of type ") + signature +
                    " was submitted but is not a registered task: add MULTIRANK_TASK(name) or "
                    "multirank::register_task at namespace scope");
  }
  return *entry;
}

const TaskEntry& entry_for_name(const std::string& name, const std::string& signature) {
  const TaskEntry* entry = Registry::instance().find_by_name(name);
  if (entry == nullptr) throw TaskError("no task named '" + name + "' is registered");
  if (entry->signature != signature) {
    throw TaskError("task '" + name + "' is registered as " + entry->signature +
                    " but was asked for as " + signature);
  }
  return *entry;
}

std::string overload_task_name(std::string_view function, std::string_view signature) {
  std::string_view written = signature;
  while (!written.empty() && written.back() == ' ') written.remove_suffix(1);
  if (written.ends_with("noexcept")) written.remove_suffix(std::string_view("noexcept").size());
  while (!written.empty() && written.back() == ' ') written.remove_suffix(1);
  // The parameter list is the parenthesised group that ends the signature: walk back from its
  // ')' to the '(' that matches it, past any parentheses inside (a std::function<int(int)>).
  if (written.ends_with(')')) {
    int depth = 0;
    for (std::size_t i = written.size(); i-- > 0;) {
      if (written[i] == ')') ++depth;
      if (written[i] == '(' && --depth == 0) {
        return std::string(function) + std::string(written.substr(i));
      }
    }
  }
  return std::string(function) + " " + std::string(signature);
}

}  // namespace multirank::detail
