// HandleSet on a private loop: an owner that closes its handles through it
// and outlives their close callbacks passes, with uv_loop_close() == 0; one
// destroyed earlier (a handle never closed, a close callback not yet run, a
// request not yet called back) aborts the process, in every build. The
// aborting cases run as death tests, in a child process.

#include "inflow/handle_set.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "private_loop.h"

namespace inflow {
namespace {

using test::PrivateLoop;

constexpr const char* kDestroyedEarly = "Owner destroyed before all its close callbacks ran";

// An owner as the library's are: a timer of its own, and clients on the
// heap, each freed in its own close callback.
class Owner {
 public:
  struct Client {
    TrackedHandle<uv_timer_t> timer;
    int* freed;
  };

  explicit Owner(uv_loop_t* loop) : loop_(loop) {
    uv_timer_init(loop_, &timer_.handle);
    handles_.Adopt(&timer_);
  }

  Client* AddClient(int* freed) {
    auto* client = new Client{{}, freed};
    uv_timer_init(loop_, &client->timer.handle);
    client->timer.handle.data = client;
    handles_.Adopt(&client->timer);
    return client;
  }

  void CloseClient(Client* client) {
    handles_.Close(&client->timer, [](uv_timer_t* timer) {
      auto* closed = static_cast<Client*>(timer->data);
      ++*closed->freed;
      delete closed;
    });
  }

  void CloseOwn() { handles_.Close(&timer_); }

  HandleSet& handles() { return handles_; }

 private:
  HandleSet handles_{"Owner"};
  uv_loop_t* loop_;
  TrackedHandle<uv_timer_t> timer_;
};

class HandleSetTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }

  PrivateLoop loop_;
};

TEST_F(HandleSetTest, CountsHandlesUntilTheirCloseCallbacksRan) {
  int freed = 0;
  auto owner = std::make_unique<Owner>(loop_.get());
  Owner::Client* client = owner->AddClient(&freed);
  EXPECT_EQ(owner->handles().open(), 2u);
  owner->CloseClient(client);
  owner->CloseOwn();
  // Closing is not closed: libuv holds the handles until their callbacks.
  EXPECT_EQ(owner->handles().open(), 2u);
  ASSERT_TRUE(loop_.RunUntil([&] { return owner->handles().open() == 0; }, "close callbacks"));
  EXPECT_EQ(freed, 1);
  owner.reset();
  EXPECT_EQ(loop_.Close(), 0);
}

TEST_F(HandleSetTest, ASecondCloseKeepsTheFirstCallback) {
  int freed = 0;
  Owner owner(loop_.get());
  Owner::Client* client = owner.AddClient(&freed);
  owner.CloseClient(client);
  owner.CloseClient(client);
  owner.CloseOwn();
  EXPECT_EQ(loop_.Close(), 0);
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(owner.handles().open(), 0u);
}

// The callback given to Close may free the owner, set included: the set
// has stopped counting the handle before it runs.
TEST_F(HandleSetTest, TheCloseCallbackMayFreeTheOwner) {
  struct SelfFreeing {
    HandleSet handles{"SelfFreeing"};
    TrackedHandle<uv_timer_t> timer;
    bool* gone;
    ~SelfFreeing() { *gone = true; }
  };
  bool gone = false;
  auto* owner = new SelfFreeing{};
  owner->gone = &gone;
  uv_timer_init(loop_.get(), &owner->timer.handle);
  owner->timer.handle.data = owner;
  owner->handles.Adopt(&owner->timer);
  owner->handles.Close(&owner->timer,
                       [](uv_timer_t* timer) { delete static_cast<SelfFreeing*>(timer->data); });
  EXPECT_EQ(loop_.Close(), 0);
  EXPECT_TRUE(gone);
}

TEST_F(HandleSetTest, CountsARequestUntilItsCallback) {
  struct Work {
    uv_work_t req;
    HandleSet* handles;
    bool done = false;
  };
  HandleSet handles("WorkOwner");
  Work work{{}, &handles};
  work.req.data = &work;
  ASSERT_EQ(uv_queue_work(
                loop_.get(), &work.req, [](uv_work_t*) {},
                [](uv_work_t* req, int) {
                  auto* w = static_cast<Work*>(req->data);
                  w->handles->RequestDone();
                  w->done = true;
                }),
            0);
  handles.RequestStarted();
  EXPECT_EQ(handles.requests(), 1u);
  ASSERT_TRUE(loop_.RunUntil([&] { return work.done; }, "the work's callback"));
  EXPECT_EQ(handles.requests(), 0u);
  EXPECT_EQ(loop_.Close(), 0);
}

TEST_F(HandleSetTest, AbortsWhenTheOwnerGoesBeforeItsCloseCallbacksRan) {
  EXPECT_DEATH(
      {
        std::optional<Owner> owner;
        owner.emplace(loop_.get());
        owner->CloseOwn();
        owner.reset();  // before the loop ran the close callback
      },
      kDestroyedEarly);
  // This process's loop saw none of it: the child had a copy.
  EXPECT_EQ(loop_.Close(), 0);
}

TEST_F(HandleSetTest, AbortsWhenTheOwnerGoesWithAHandleNeverClosed) {
  EXPECT_DEATH(
      {
        std::optional<Owner> owner;
        owner.emplace(loop_.get());
        owner.reset();
      },
      kDestroyedEarly);
  EXPECT_EQ(loop_.Close(), 0);
}

TEST_F(HandleSetTest, AbortsWhenTheOwnerGoesBeforeARequestsCallback) {
  EXPECT_DEATH(
      {
        std::optional<HandleSet> handles;
        handles.emplace("Owner");
        handles->RequestStarted();
        handles.reset();
      },
      kDestroyedEarly);
  EXPECT_EQ(loop_.Close(), 0);
}

}  // namespace
}  // namespace inflow
