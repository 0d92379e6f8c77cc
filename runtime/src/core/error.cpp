// Messages of the exceptions that carry more than a string.
#include "multirank/error.hpp"

#include <mpi.h>

namespace multirank {

namespace {
std::string mpi_error_text(const std::string& call, int code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  return call + " failed with MPI error " + std::to_string(code) + ": " +
         std::string(text, static_cast<std::size_t>(length));
}
}  // namespace

MpiError::MpiError(const std::string& call, int code)
    : Error(mpi_error_text(call, code)), code_(code) {}

Interrupted::Interrupted(int signal, const std::string& what) : Error(what), signal_(signal) {}

RemoteError::RemoteError(std::string type_name, std::string message, int rank, std::string host,
                         std::string task_name, std::string stage)
    : Error("task '" + task_name + "' raised " + type_name + (stage.empty() ? "" : " " + stage) +
            " on rank " + std::to_string(rank) + " (" + host + "): " + message),
      type_name_(std::move(type_name)),
      message_(std::move(message)),
      rank_(rank),
      host_(std::move(host)),
      task_name_(std::move(task_name)),
      stage_(std::move(stage)) {}

}  // namespace multirank
