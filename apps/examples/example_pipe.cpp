// Article 2.2 (Pipe): a sender process sends a greeting on one end; a receiver process prints
// what arrives on the other.
#include <iostream>
#include <string>

#include "multirank/multirank.hpp"

using Conn = multirank::Connection<std::string>;

void sender(Conn conn) {
  conn.send("Hello from sender");
  conn.close();
}
MULTIRANK_TASK(sender);

void receiver(Conn conn) {
  const std::string msg = conn.recv();
  std::cout << "Received: " << msg << std::endl;
}
MULTIRANK_TASK(receiver);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  auto [parent_conn, child_conn] = multirank::Pipe<std::string>();
  multirank::Process p1(sender, child_conn);
  multirank::Process p2(receiver, parent_conn);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
}
