// The PMPI wrappers behind mpi_message_counts.hpp: each counts, then calls MPI's own function.
// Only the first part of a message is probed with MPI_Improbe; the parts of a message split over
// the size limit are probed with MPI_Mprobe and counted under their own tag (continuation).
#include "mpi_message_counts.hpp"

#include <mpi.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

struct AtomicCounts {
  std::atomic<std::uint64_t> sent[mpi_counted_tags];
  std::atomic<std::uint64_t> sent_bytes[mpi_counted_tags];
  std::atomic<std::uint64_t> received[mpi_counted_tags];
  std::atomic<std::uint64_t> received_bytes[mpi_counted_tags];
};

AtomicCounts counts;  // zero-initialised: static storage
std::atomic<int> active{0};

int slot_of(int tag) { return tag >= 0 && tag < mpi_counted_tags ? tag : mpi_counted_tags - 1; }

void count_received(const MPI_Status& status) {
  int bytes = 0;
  PMPI_Get_count(&status, MPI_BYTE, &bytes);
  const int slot = slot_of(status.MPI_TAG);
  counts.received[slot].fetch_add(1, std::memory_order_relaxed);
  counts.received_bytes[slot].fetch_add(static_cast<std::uint64_t>(bytes < 0 ? 0 : bytes),
                                        std::memory_order_relaxed);
  active.store(1, std::memory_order_relaxed);
}

void write_counts_file(const char* path) {
  MpiMessageCounts now{};
  mpi_message_counts_read(&now);
  std::FILE* file = std::fopen(path, "w");
  if (file == nullptr) {
    std::fprintf(stderr, "mpi_message_counts: cannot write MULTIRANK_MPI_COUNTS_FILE '%s'\n", path);
    return;
  }
  auto array = [&](const char* name, const std::uint64_t* values, bool last) {
    std::fprintf(file, "  \"%s\": [", name);
    for (int i = 0; i < mpi_counted_tags; ++i) {
      std::fprintf(file, "%s%llu", i == 0 ? "" : ", ", static_cast<unsigned long long>(values[i]));
    }
    std::fprintf(file, "]%s\n", last ? "" : ",");
  };
  std::fprintf(file, "{\n");
  array("sent", now.sent, false);
  array("sent_bytes", now.sent_bytes, false);
  array("received", now.received, false);
  array("received_bytes", now.received_bytes, true);
  std::fprintf(file, "}\n");
  std::fclose(file);
}

}  // namespace

extern "C" {

void mpi_message_counts_read(MpiMessageCounts* out) {
  for (int i = 0; i < mpi_counted_tags; ++i) {
    out->sent[i] = counts.sent[i].load(std::memory_order_relaxed);
    out->sent_bytes[i] = counts.sent_bytes[i].load(std::memory_order_relaxed);
    out->received[i] = counts.received[i].load(std::memory_order_relaxed);
    out->received_bytes[i] = counts.received_bytes[i].load(std::memory_order_relaxed);
  }
}

int mpi_message_counts_active() { return active.load(std::memory_order_relaxed); }

int MPI_Isend(const void* buf, int count, MPI_Datatype datatype, int dest, int tag, MPI_Comm comm,
              MPI_Request* request) {
  int type_size = 0;
  PMPI_Type_size(datatype, &type_size);
  const int slot = slot_of(tag);
  counts.sent[slot].fetch_add(1, std::memory_order_relaxed);
  counts.sent_bytes[slot].fetch_add(
      static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(type_size),
      std::memory_order_relaxed);
  active.store(1, std::memory_order_relaxed);
  return PMPI_Isend(buf, count, datatype, dest, tag, comm, request);
}

int MPI_Improbe(int source, int tag, MPI_Comm comm, int* flag, MPI_Message* message,
                MPI_Status* status) {
  MPI_Status own{};
  MPI_Status* seen = status == MPI_STATUS_IGNORE ? &own : status;
  const int result = PMPI_Improbe(source, tag, comm, flag, message, seen);
  if (result == MPI_SUCCESS && *flag) count_received(*seen);
  return result;
}

int MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message* message, MPI_Status* status) {
  MPI_Status own{};
  MPI_Status* seen = status == MPI_STATUS_IGNORE ? &own : status;
  const int result = PMPI_Mprobe(source, tag, comm, message, seen);
  if (result == MPI_SUCCESS) count_received(*seen);
  return result;
}

int MPI_Finalize() {
  int rank = -1;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const char* path = std::getenv("MULTIRANK_MPI_COUNTS_FILE");
  if (rank == 0 && path != nullptr && *path != '\0') write_counts_file(path);
  return PMPI_Finalize();
}

}  // extern "C"
