#include "models/common/message.hpp"

#include <new>

namespace archsim {

namespace {

// Freed Message blocks, linked through their first bytes. One simulation runs on one thread.
struct FreeBlock {
  FreeBlock* next;
};
FreeBlock* free_messages = nullptr;

}  // namespace

void* Message::operator new(size_t size) {
  if (size == sizeof(Message) && free_messages) {
    FreeBlock* b = free_messages;
    free_messages = b->next;
    return b;
  }
  return ::operator new(size);
}

void Message::operator delete(void* p, size_t size) noexcept {
  if (!p) return;
  if (size != sizeof(Message)) {
    ::operator delete(p);
    return;
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = free_messages;
  free_messages = b;
}

}  // namespace archsim
