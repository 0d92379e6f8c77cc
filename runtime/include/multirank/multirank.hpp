// Everything a multirank program uses, in one include.
#pragma once

#include "multirank/error.hpp"
#include "multirank/executor.hpp"
#include "multirank/future.hpp"
#include "multirank/map_options.hpp"
#include "multirank/options.hpp"
#include "multirank/pipe.hpp"
#include "multirank/pool.hpp"
#include "multirank/process.hpp"
#include "multirank/profile.hpp"
#include "multirank/progress.hpp"
#include "multirank/queue.hpp"
#include "multirank/remote_exception.hpp"
#include "multirank/runtime.hpp"
#include "multirank/sync.hpp"
#include "multirank/task.hpp"
#include "multirank/timeout.hpp"
